using Microsoft.Extensions.Time.Testing;
using Octue.Mount.Emulator;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// A walk of many sibling folders (what `find` does) lists them with one flat listing of their parent, and every
/// folder shows exactly what its own listing would: sub-folders, placeholders, hidden names, a folder winning over a
/// file of its name.
/// </summary>
public sealed class SubfolderPrefetchTests : IClassFixture<VfsFixture>
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    private readonly VfsFixture _fixture;

    public SubfolderPrefetchTests(VfsFixture fixture) => _fixture = fixture;

    private RequestCounter Requests => _fixture.Emulator.Requests;

    private Task<MountedBucket> MountAsync(string bucket, TimeSpan? ttl = null) =>
        MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", ttl ?? Ttl,
            configure: o => o with { TimeProvider = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero)) });

    /// <summary>A tree of 40 folders of 60 files, with the names a listing must treat with care in some of them.</summary>
    private string TreeBucket()
    {
        var bucket = _fixture.NewBucket();
        for (var d = 0; d < 40; d++)
        {
            for (var f = 0; f < 60; f++)
            {
                _fixture.Emulator.Store.PutObject(bucket, $"tree/d{d:D2}/f{f:D2}", new byte[(d + f) % 5 + 1]);
            }
        }

        _fixture.Put(bucket, "tree/top.txt", "a file of the parent itself");
        _fixture.Emulator.Store.PutObject(bucket, "tree/d03/", [], new Dictionary<string, string> { ["goog-reserved-posix-mode"] = "700" });
        _fixture.Put(bucket, "tree/d05/sub/deep/x", "nested");
        _fixture.Emulator.Store.PutObject(bucket, "tree/d05/made/", []);
        _fixture.Put(bucket, "tree/d07/both", "hidden: a folder has its name");
        _fixture.Put(bucket, "tree/d07/both/inner", "inside");
        _fixture.Put(bucket, "tree/d09/./dot", "hidden: a name segment is '.'");
        _fixture.Put(bucket, "tree/d11/" + new string('n', 256), "hidden: a segment over 255 bytes");
        return bucket;
    }

    private static async Task<SortedDictionary<string, string>> WalkAsync(MountedBucket mount)
    {
        var seen = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var tree = await mount.LookupPathAsync("tree");
        foreach (var folder in (await mount.ReadDirectoryAsync(tree.NodeId)).Where(e => e.Attributes.Kind == NodeKind.Directory && e.Name is not "." and not ".."))
        {
            var found = await mount.Fs.LookupAsync(tree.NodeId, folder.Name);
            Assert.True(found.IsOk);
            foreach (var entry in await mount.ReadDirectoryAsync(found.Value.NodeId))
            {
                if (entry.Name is "." or "..")
                {
                    if (entry.Name == ".")
                    {
                        seen[$"{folder.Name}/."] = Convert.ToString(entry.Attributes.Mode & 0b111_111_111, 8);
                    }

                    continue;
                }

                seen[$"{folder.Name}/{entry.Name}"] = $"{entry.Attributes.Kind} {entry.Attributes.Size}";
            }
        }

        return seen;
    }

    [Fact]
    public async Task Walking_sibling_folders_lists_them_together_and_each_shows_what_its_own_listing_would()
    {
        var bucket = TreeBucket();

        // What each folder's own listing shows: a mount with no metadata cache lists every folder by itself.
        Dictionary<string, string> expected;
        await using (var plain = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", TimeSpan.Zero))
        {
            expected = new Dictionary<string, string>(await WalkAsync(plain));
        }

        Assert.Equal(40 * 61, expected.Count - 2 - 1); // 60 files and "." per folder, d05's two sub-folders, d07's folder
        Assert.Equal("Directory 0", expected["d07/both"]);
        Assert.Equal("700", expected["d03/."]);
        Assert.Equal("Directory 0", expected["d05/made"]);
        Assert.Equal(61, expected.Keys.Count(k => k.StartsWith("d09/", StringComparison.Ordinal)));

        await using var mount = await MountAsync(bucket);
        Requests.Reset();
        var walked = await WalkAsync(mount);

        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), walked.OrderBy(p => p.Key, StringComparer.Ordinal));
        // The parent's listing, the first folder's own, then the flat listing of 2,400-odd names (3 pages) for the
        // rest, where a listing per folder would have cost 41.
        var lists = Requests.Count(RequestKind.ListObjects);
        Assert.True(lists <= 6, $"{lists} list requests");
        Assert.Equal(0, Requests.Count(RequestKind.GetObject));
    }

    [Fact]
    public async Task Reading_one_folder_alone_lists_only_that_folder()
    {
        var bucket = TreeBucket();
        await using var mount = await MountAsync(bucket);
        var tree = await mount.LookupPathAsync("tree");
        await mount.ReadDirectoryAsync(tree.NodeId);
        Requests.Reset();

        var one = await mount.Fs.LookupAsync(tree.NodeId, "d20");
        Assert.Equal(62, (await mount.ReadDirectoryAsync(one.Value.NodeId)).Count);
        Assert.Equal(1, Requests.Total);
    }

    [Fact]
    public async Task A_folder_that_fills_pages_is_left_to_its_own_listing()
    {
        var bucket = _fixture.NewBucket();
        for (var d = 0; d < 3; d++)
        {
            for (var f = 0; f < (d == 1 ? 2_500 : 10); f++)
            {
                _fixture.Emulator.Store.PutObject(bucket, $"tree/d{d}/s{f % 50:D2}/f{f:D4}", [1]);
            }
        }

        await using var mount = await MountAsync(bucket);
        var tree = await mount.LookupPathAsync("tree");
        var names = new List<string>();
        foreach (var folder in new[] { "d0", "d1", "d2" })
        {
            var found = await mount.Fs.LookupAsync(tree.NodeId, folder);
            names.AddRange((await mount.ReadDirectoryAsync(found.Value.NodeId)).Select(e => $"{folder}/{e.Name}"));
        }

        Assert.Equal(3 * 2 + 10 + 50 + 10, names.Count);
        Assert.Contains("d1/s49", names);
        Assert.Contains("d2/s09", names);
    }
}
