using Microsoft.Extensions.Time.Testing;
using Octue.Mount.Caching;
using Octue.Mount.Emulator;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// A lookup of a name nothing is cached about asks the store once (one listing of the name), and still applies the
/// naming rule: a folder wins over an object of its name, even when sibling names sort between the two.
/// </summary>
public sealed class LookupCostTests : IClassFixture<VfsFixture>
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    private readonly VfsFixture _fixture;

    public LookupCostTests(VfsFixture fixture) => _fixture = fixture;

    private RequestCounter Requests => _fixture.Emulator.Requests;

    private Task<MountedBucket> MountAsync(string bucket) =>
        MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", Ttl,
            configure: o => o with { TimeProvider = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero)) });

    private async Task<(VfsResult<NodeAttributes> Result, long Lists, long Stats)> LookUpColdAsync(string bucket, string name)
    {
        await using var mount = await MountAsync(bucket);
        Requests.Reset();
        var result = await mount.Fs.LookupAsync(1, name);
        var counts = (result, Requests.Count(RequestKind.ListObjects), Requests.Count(RequestKind.GetObject));
        Assert.Equal(counts.Item2 + counts.Item3, Requests.Total);
        return counts;
    }

    [Fact]
    public async Task A_file_is_found_with_one_listing_and_no_stat()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "big.bin", "twelve bytes");
        _fixture.Put(bucket, "big.bin.sha256", "a sibling that sorts between the object and its folder");

        var (found, lists, stats) = await LookUpColdAsync(bucket, "big.bin");

        Assert.True(found.IsOk);
        Assert.Equal(NodeKind.File, found.Value.Kind);
        Assert.Equal(12, found.Value.Size);
        Assert.Equal((1L, 0L), (lists, stats));
    }

    [Fact]
    public async Task A_name_that_is_not_there_costs_one_listing()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "other", "x");

        var (found, lists, stats) = await LookUpColdAsync(bucket, "missing");

        Assert.Equal(VfsError.NotFound, found.Error);
        Assert.Equal((1L, 0L), (lists, stats));
    }

    [Fact]
    public async Task A_folder_with_a_placeholder_is_found_with_its_attributes_from_one_listing()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Emulator.Store.PutObject(bucket, "made/", [], new Dictionary<string, string> { ["goog-reserved-posix-mode"] = "700" });

        var (found, lists, stats) = await LookUpColdAsync(bucket, "made");

        Assert.True(found.IsOk);
        Assert.Equal(NodeKind.Directory, found.Value.Kind);
        Assert.Equal(0b111_000_000u, found.Value.Mode & 0b111_111_111u);
        Assert.Equal((1L, 0L), (lists, stats));
    }

    [Fact]
    public async Task A_folder_wins_over_an_object_of_its_name_in_one_listing()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "both", "the object is hidden");
        _fixture.Put(bucket, "both.txt", "a sibling");
        _fixture.Put(bucket, "both/inner.txt", "inside");

        var (found, lists, stats) = await LookUpColdAsync(bucket, "both");

        Assert.True(found.IsOk);
        Assert.Equal(NodeKind.Directory, found.Value.Kind);
        Assert.Equal((1L, 0L), (lists, stats));
    }

    [Fact]
    public async Task A_folder_behind_many_siblings_still_wins_over_the_object()
    {
        // More names sort between `x` and `x/` than the one listing holds: the folder is then asked about alone.
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "x", "the object is hidden");
        for (var i = 0; i < NameProbe.PageSize + 2; i++)
        {
            _fixture.Put(bucket, $"x.{i:D2}", "a sibling");
        }

        _fixture.Put(bucket, "x/inner.txt", "inside");

        var (found, lists, stats) = await LookUpColdAsync(bucket, "x");

        Assert.True(found.IsOk);
        Assert.Equal(NodeKind.Directory, found.Value.Kind);
        Assert.Equal((2L, 0L), (lists, stats));

        // Without the folder, the same siblings leave an object: a file.
        _fixture.Emulator.Store.DeleteObject(bucket, "x/inner.txt");
        (found, lists, stats) = await LookUpColdAsync(bucket, "x");
        Assert.True(found.IsOk);
        Assert.Equal(NodeKind.File, found.Value.Kind);
        Assert.Equal((2L, 0L), (lists, stats));
    }

    [Fact]
    public async Task A_file_found_by_a_lookup_is_stat_without_a_request_within_the_ttl()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "a/f.txt", "abc");
        await using var mount = await MountAsync(bucket);
        var dir = await mount.Fs.LookupAsync(1, "a");
        Assert.True(dir.IsOk);
        Requests.Reset();

        var file = await mount.Fs.LookupAsync(dir.Value.NodeId, "f.txt");
        Assert.True(file.IsOk);
        Assert.Equal(1, Requests.Total);
        Assert.Equal(3, (await mount.Fs.GetAttributesAsync(file.Value.NodeId)).Value.Size);
        Assert.Equal(1, Requests.Total);
    }
}
