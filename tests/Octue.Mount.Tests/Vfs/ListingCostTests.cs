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

        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
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
        var content = new byte[] { 7 };
        var expected = new Dictionary<string, int> { ["l1"] = 1_500 + 1, ["l1/l2"] = 2_100 + 1, ["l1/l2/l3"] = 1_200 };
        for (var i = 0; i < 1_500; i++)
        {
            _fixture.Emulator.Store.PutObject(bucket, $"l1/a-{i:D4}", content);
        }

        for (var i = 0; i < 2_100; i++)
        {
            _fixture.Emulator.Store.PutObject(bucket, $"l1/l2/b-{i:D4}", content);
        }

        for (var i = 0; i < 1_200; i++)
        {
            _fixture.Emulator.Store.PutObject(bucket, $"l1/l2/l3/c-{i:D4}", content);
        }

        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        foreach (var (path, count) in expected)
        {
            var dir = await mount.LookupPathAsync(path);
            _fixture.Emulator.Requests.Reset();
            var entries = await mount.ReadDirectoryAsync(dir.NodeId);
            Assert.Equal(count + 2, entries.Count);
            var pages = (count + 999) / 1000;
            Assert.True(_fixture.Emulator.Requests.Count(RequestKind.ListObjects) <= pages + 1,
                $"{path}: {_fixture.Emulator.Requests.Count(RequestKind.ListObjects)} list requests for {count} entries");
            Assert.Equal(0, _fixture.Emulator.Requests.Count(RequestKind.GetObject));
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
