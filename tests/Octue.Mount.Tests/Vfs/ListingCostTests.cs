using Microsoft.Extensions.Time.Testing;
using Octue.Mount.Emulator;
using Octue.Mount.Vfs;
using Xunit.Abstractions;

namespace Octue.Mount.Tests.Vfs;

public sealed class ListingCostTests : IClassFixture<VfsFixture>
{
    private readonly VfsFixture _fixture;
    private readonly ITestOutputHelper _output;

    public ListingCostTests(VfsFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [Fact]
    public async Task A_directory_of_10000_objects_lists_with_attributes_in_at_most_11_list_requests_and_no_stat()
    {
        var bucket = _fixture.NewBucket();
        var content = new byte[] { 1, 2, 3 };
        for (var i = 0; i < 10_000; i++)
        {
            _fixture.Emulator.Store.PutObject(bucket, $"big/file-{i:D5}.bin", content);
        }

        // On a clock that stands still, "within the TTL" holds however long a loaded machine takes to list 10,000 names.
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}",
            configure: o => o with { TimeProvider = new FakeTimeProvider(DateTimeOffset.UtcNow) });
        var dir = await mount.LookupPathAsync("big");
        _fixture.Emulator.Requests.Reset();

        var entries = await mount.ReadDirectoryAsync(dir.NodeId);

        _output.WriteLine($"10,000 entries: {_fixture.Emulator.Requests.Count(RequestKind.ListObjects)} list requests, {_fixture.Emulator.Requests.Count(RequestKind.GetObject)} stats");
        Assert.Equal(10_002, entries.Count);
        Assert.True(_fixture.Emulator.Requests.Count(RequestKind.ListObjects) <= 11, $"{_fixture.Emulator.Requests.Count(RequestKind.ListObjects)} list requests");
        Assert.Equal(0, _fixture.Emulator.Requests.Count(RequestKind.GetObject));
        var file = entries.Single(e => e.Name == "file-04321.bin");
        Assert.Equal(NodeKind.File, file.Attributes.Kind);
        Assert.Equal(3, file.Attributes.Size);
        Assert.NotEqual(0UL, file.Attributes.NodeId);
        Assert.Equal(10_000, entries.Select(e => e.Attributes.NodeId).Where((_, i) => i >= 2).Distinct().Count());

        // Within the TTL, lookups of listed names are answered from the listing: still no stat.
        var found = await mount.Fs.LookupAsync(dir.NodeId, "file-00007.bin");
        Assert.True(found.IsOk);
        Assert.Equal(0, _fixture.Emulator.Requests.Count(RequestKind.GetObject));
    }

    [Fact]
    public async Task Each_directory_of_a_three_level_tree_lists_with_one_paged_listing_and_no_stat()
    {
        var bucket = _fixture.NewBucket();
        var levels = new (string Path, string Stem, int Files, string? Subdirectory)[]
        {
            ("l1", "a", 1_500, "l2"), ("l1/l2", "b", 2_100, "l3"), ("l1/l2/l3", "c", 1_200, null),
        };
        // Each file has its own size and mtime, half of them in gsutil's key and half in gcsfuse's, and every
        // fourth a mode, so attributes that came from anywhere but the file's own listing entry would differ.
        var expected = new Dictionary<string, (long Size, long MtimeNs, uint Mode)>(StringComparer.Ordinal);
        var epoch = DateTimeOffset.FromUnixTimeSeconds(1_600_000_000);
        foreach (var (path, stem, files, _) in levels)
        {
            for (var i = 0; i < files; i++)
            {
                var name = $"{path}/{stem}-{i:D4}";
                var size = (i % 7) + 1;
                var mtime = epoch.AddSeconds(expected.Count * 3L);
                var metadata = new Dictionary<string, string>();
                if (i % 2 == 0)
                {
                    metadata["goog-reserved-file-mtime"] = mtime.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                else
                {
                    metadata["gcsfuse_mtime"] = mtime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
                }

                var mode = 0b110_100_100u;
                if (i % 4 == 0)
                {
                    metadata["goog-reserved-posix-mode"] = "600";
                    mode = 0b110_000_000u;
                }

                _fixture.Emulator.Store.PutObject(bucket, name, new byte[size], metadata);
                expected[name] = (size, mtime.ToUnixTimeSeconds() * 1_000_000_000L, mode);
            }
        }

        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        foreach (var (path, stem, files, subdirectory) in levels)
        {
            var dir = await mount.LookupPathAsync(path);
            _fixture.Emulator.Requests.Reset();
            var entries = await mount.ReadDirectoryAsync(dir.NodeId);

            var lists = _fixture.Emulator.Requests.Count(RequestKind.ListObjects);
            var count = files + (subdirectory is null ? 0 : 1);
            Assert.Equal(count + 2, entries.Count);
            Assert.True(lists <= ((count + 999) / 1000) + 1, $"{path}: {lists} list requests for {count} entries");
            Assert.Equal(0, _fixture.Emulator.Requests.Count(RequestKind.GetObject));
            Assert.Equal(0, _fixture.Emulator.Requests.Count(RequestKind.Download));

            var seenFiles = 0;
            foreach (var entry in entries)
            {
                if (entry.Name is "." or "..")
                {
                    Assert.Equal(NodeKind.Directory, entry.Attributes.Kind);
                    continue;
                }

                if (entry.Name == subdirectory)
                {
                    Assert.Equal(NodeKind.Directory, entry.Attributes.Kind);
                    continue;
                }

                Assert.StartsWith(stem + "-", entry.Name);
                var want = expected[$"{path}/{entry.Name}"];
                Assert.Equal(NodeKind.File, entry.Attributes.Kind);
                Assert.True(want.Size == entry.Attributes.Size, $"{path}/{entry.Name}: size {entry.Attributes.Size}, expected {want.Size}");
                Assert.True(want.MtimeNs == entry.Attributes.ModifiedNs, $"{path}/{entry.Name}: mtime {entry.Attributes.ModifiedNs}, expected {want.MtimeNs}");
                Assert.True(want.Mode == entry.Attributes.Mode, $"{path}/{entry.Name}: mode {entry.Attributes.Mode}, expected {want.Mode}");
                seenFiles++;
            }

            Assert.Equal(files, seenFiles);
            _output.WriteLine($"{path}: {count} entries, {lists} list requests, 0 stats");
        }
    }

    [Fact]
    public async Task Nodes_made_for_readdir_entries_are_released_unless_the_kernel_took_them()
    {
        var bucket = _fixture.NewBucket();
        for (var i = 0; i < 50; i++)
        {
            _fixture.Put(bucket, $"d/f{i}", "x");
        }

        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var dir = await mount.LookupPathAsync("d");
        var before = mount.Fs.NodeCount;
        var opened = await mount.Fs.OpenDirectoryAsync(dir.NodeId);
        var page = await mount.Fs.ReadDirectoryAsync(opened.Value, 0);
        var kept = page.Value.First(e => e.Name == "f3");
        mount.Fs.AddLookup(kept.Attributes.NodeId);
        await mount.Fs.ReleaseDirectoryAsync(opened.Value);

        Assert.Equal(before + 1, mount.Fs.NodeCount);
        var attributes = await mount.Fs.GetAttributesAsync(kept.Attributes.NodeId);
        Assert.True(attributes.IsOk);
        mount.Fs.Forget(kept.Attributes.NodeId, 1);
        Assert.Equal(before, mount.Fs.NodeCount);
        Assert.Equal(VfsError.NotFound, (await mount.Fs.GetAttributesAsync(kept.Attributes.NodeId)).Error);
    }
}
