namespace Octue.Mount.Emulator.Tests;

/// <summary>Listings with prefixes, delimiters and pages.</summary>
public sealed class ObjectListerTests
{
    [Fact]
    public void ListingPagesNeverRepeatOrSkipEntries()
    {
        var store = new EmulatorStore();
        store.CreateBucket("pages");
        var names = new List<string>();
        for (var i = 0; i < 57; i++)
        {
            var name = i % 3 == 0 ? $"dir{i % 7}/f{i}" : $"f{i:D3}";
            names.Add(name);
            store.PutObject("pages", name, [1]);
        }
        foreach (var delimiter in new string?[] { null, "/" })
        {
            foreach (var pageSize in new[] { 1, 2, 5, 1000 })
            {
                var seen = new List<string>();
                PageToken? token = null;
                while (true)
                {
                    var page = store.List("pages", new ListQuery { Delimiter = delimiter, MaxResults = pageSize }, token).Value!;
                    Assert.True(page.Items.Count + page.Prefixes.Count <= pageSize);
                    seen.AddRange(page.Items.Select(o => o.Name));
                    seen.AddRange(page.Prefixes);
                    if (page.NextPageToken is null)
                        break;
                    Assert.True(PageToken.TryDecode(page.NextPageToken, out var next));
                    token = next;
                }
                var expected = delimiter is null
                    ? names
                    : names.Select(n => n.Contains('/') ? n[..(n.IndexOf('/') + 1)] : n).Distinct().ToList();
                Assert.Equal(expected.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
                Assert.Equal(seen.Count, seen.Distinct().Count());
            }
        }
    }
}
