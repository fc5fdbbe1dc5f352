using System.Net;
using System.Text.Json;

namespace Octue.Mount.Emulator.Tests;

/// <summary>
/// Partial responses (<c>fields</c>) as Cloud Storage gives them: only the selected fields, at each depth; a selected
/// object or array without a sub-selection comes whole; a selection that does not parse is a 400.
/// </summary>
public sealed class FieldSelectionTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>, IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = fixture.Emulator.Endpoint };

    public void Dispose() => _http.Dispose();

    private static string[] Names(JsonElement element) => element.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private string Bucket()
    {
        var bucket = fixture.NewBucket();
        fixture.Emulator.Store.PutObject(bucket, "d/a", "a"u8.ToArray(), new Dictionary<string, string> { ["k"] = "v", ["l"] = "w" }, "text/plain");
        fixture.Emulator.Store.PutObject(bucket, "d/b", "b"u8.ToArray());
        fixture.Emulator.Store.PutObject(bucket, "d/sub/c", "c"u8.ToArray());
        return bucket;
    }

    [Fact]
    public async Task A_listing_carries_only_the_selected_fields_of_each_item()
    {
        var bucket = Bucket();
        var page = await GetJsonAsync($"storage/v1/b/{bucket}/o?prefix=d/&delimiter=/&maxResults=1&fields=items(name,size,metadata),nextPageToken");

        Assert.Equal(["items", "nextPageToken"], Names(page));
        var item = Assert.Single(page.GetProperty("items").EnumerateArray().ToArray());
        Assert.Equal(["metadata", "name", "size"], Names(item));
        Assert.Equal(["k", "l"], Names(item.GetProperty("metadata")));
        Assert.Equal("1", item.GetProperty("size").GetString());
    }

    [Fact]
    public async Task Paths_stars_and_repeats_select_as_in_cloud_storage()
    {
        var bucket = Bucket();
        var path = await GetJsonAsync($"storage/v1/b/{bucket}/o?prefix=d/&delimiter=/&fields=items/name,prefixes");
        Assert.Equal(["items", "prefixes"], Names(path));
        Assert.All(path.GetProperty("items").EnumerateArray(), i => Assert.Equal(["name"], Names(i)));
        Assert.Equal("d/sub/", Assert.Single(path.GetProperty("prefixes").EnumerateArray().ToArray()).GetString());

        var repeated = await GetJsonAsync($"storage/v1/b/{bucket}/o?prefix=d/&delimiter=/&fields=items(name),items(size)");
        Assert.All(repeated.GetProperty("items").EnumerateArray(), i => Assert.Equal(["name", "size"], Names(i)));

        var star = await GetJsonAsync($"storage/v1/b/{bucket}/o?prefix=d/&delimiter=/&fields=items(*)");
        Assert.Equal(["items"], Names(star));
        Assert.Contains("selfLink", Names(star.GetProperty("items")[0]));

        var whole = await GetJsonAsync($"storage/v1/b/{bucket}/o?prefix=d/&delimiter=/");
        Assert.Contains("kind", Names(whole));
        Assert.Contains("mediaLink", Names(whole.GetProperty("items")[0]));
    }

    [Fact]
    public async Task An_object_get_honours_fields()
    {
        var bucket = Bucket();
        var o = await GetJsonAsync($"storage/v1/b/{bucket}/o/d%2Fa?fields=name,generation");
        Assert.Equal(["generation", "name"], Names(o));
    }

    [Theory]
    [InlineData("items(name")]
    [InlineData("items)name")]
    [InlineData("items(,name)")]
    [InlineData("items/")]
    [InlineData("name,,size")]
    public async Task A_selection_that_does_not_parse_is_refused(string fields)
    {
        var bucket = Bucket();
        using var response = await _http.GetAsync($"storage/v1/b/{bucket}/o?fields={Uri.EscapeDataString(fields)}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Invalid field selection", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
