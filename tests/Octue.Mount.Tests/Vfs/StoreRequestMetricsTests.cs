using System.Text;
using Octue.Mount.Emulator;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// <c>octue.mount.store.requests</c> against the emulator's own count of the HTTP requests it received: every
/// request a mount makes, whichever layer makes it, is counted once under its kind.
/// </summary>
public sealed class StoreRequestMetricsTests : IClassFixture<VfsFixture>
{
    private const string Requests = "octue.mount.store.requests";
    private const int ChunkSize = 64 * 1024;
    private readonly VfsFixture _fixture;

    public StoreRequestMetricsTests(VfsFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Every_request_of_a_bucket_mount_is_counted_once_under_its_kind()
    {
        var bucket = _fixture.NewBucket("counted");
        _fixture.Put(bucket, "ds/.octue",
            """{"dataset": {"id": "5eb88462-7295-4a8e-90de-82bdf3241903", "name": "ds", "tags": {"site": "north"}, "labels": [], "path": "gs://x/ds"}}""");
        var data = Caching.PatternData.Create((3 * ChunkSize) + 17, seed: 7);
        _fixture.Emulator.Store.PutObject(bucket, "ds/data.bin", data);
        _fixture.Put(bucket, "ds/old.txt", "old");
        using var counters = new FileSystemCounters();
        _fixture.Emulator.Requests.Reset();

        OctueFileSystem fs;
        await using (var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}",
            configure: o => o with { Read = o.Read with { ChunkSize = ChunkSize, Parallelism = 1 } }))
        {
            fs = mount.Fs;
            var ds = await mount.LookupPathAsync("ds");
            Assert.Equal(new[] { ".octue", "data.bin", "old.txt" }, (await mount.NamesAsync("ds")).Order(StringComparer.Ordinal).ToArray());
            // The dataset's tags come from reading .octue; the object's bytes in ranged GETs of the read path.
            Assert.Equal("{\"site\": \"north\"}", Encoding.UTF8.GetString((await fs.GetXattrAsync(ds.NodeId, "user.octue.tags")).Value));
            Assert.Equal(data, await mount.ReadAllAsync("ds/data.bin"));
            Assert.Equal(VfsError.None, await mount.WriteFileAsync(ds.NodeId, "new.txt", "new"u8.ToArray()));
            var created = await mount.LookupPathAsync("ds/new.txt");
            Assert.Equal(VfsError.None, await fs.SetXattrAsync(created.NodeId, "user.gcs.meta.colour", "blue"u8.ToArray(), XattrFlags.None));
            Assert.Equal(VfsError.None, await fs.RenameAsync(ds.NodeId, "new.txt", ds.NodeId, "renamed.txt", RenameFlags.None));
            Assert.Equal(VfsError.None, await fs.UnlinkAsync(ds.NodeId, "old.txt"));
            Assert.True((await fs.MakeDirectoryAsync(IFileSystem.RootId, "made", 0b111_101_101)).IsOk);
        }

        Assert.Equal("blue", _fixture.Metadata(bucket, "ds/renamed.txt")["colour"]);
        AssertCountsMatch(counters, fs);
        Assert.True(counters.Get(fs, $"{Requests}/read") >= 2, "the .octue read and the data's streaming GET");
        Assert.Equal(1, counters.Get(fs, $"{Requests}/copy"));
        Assert.Equal(2, counters.Get(fs, $"{Requests}/delete"));
    }

    [Fact]
    public async Task The_manifest_read_and_the_datasets_it_names_are_counted()
    {
        var bucket = _fixture.NewBucket("manifest");
        _fixture.Put(bucket, "datasets/one/a.txt", "one-a");
        _fixture.Put(bucket, "runs/manifest.json", $$"""{"datasets": {"one": "gs://{{bucket}}/datasets/one"}, "id": "dab88335-d739-4899-8eec-13ffdb5921fd", "name": null}""");
        using var counters = new FileSystemCounters();
        _fixture.Emulator.Requests.Reset();

        OctueFileSystem fs;
        await using (var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}/runs/manifest.json"))
        {
            fs = mount.Fs;
            Assert.Equal("one-a", Encoding.UTF8.GetString(await mount.ReadAllAsync("one/a.txt")));
        }

        AssertCountsMatch(counters, fs);
        Assert.True(counters.Get(fs, $"{Requests}/read") >= 2, "the manifest and a.txt");
    }

    /// <summary>Each kind the file system counted equals what the emulator received, and nothing went uncounted.</summary>
    private void AssertCountsMatch(FileSystemCounters counters, OctueFileSystem fs)
    {
        var received = _fixture.Emulator.Requests;
        var counted = counters.All(fs);
        var summary = string.Join(", ", counted.Where(c => c.Key.StartsWith(Requests, StringComparison.Ordinal)).Select(c => $"{c.Key}={c.Value}"));
        var kinds = string.Join(", ", Enum.GetValues<RequestKind>().Select(k => $"{k}={received.Count(k)}"));
        Assert.True(received.Total > 0);
        Assert.Equal(received.Count(RequestKind.ListObjects), counters.Get(fs, $"{Requests}/list"));
        Assert.Equal(received.Count(RequestKind.GetObject), counters.Get(fs, $"{Requests}/stat"));
        Assert.Equal(received.Count(RequestKind.Download), counters.Get(fs, $"{Requests}/read"));
        Assert.Equal(received.Count(RequestKind.Upload), counters.Get(fs, $"{Requests}/upload"));
        Assert.Equal(received.Count(RequestKind.Patch) + received.Count(RequestKind.Update), counters.Get(fs, $"{Requests}/patch"));
        Assert.Equal(received.Count(RequestKind.Copy), counters.Get(fs, $"{Requests}/copy"));
        Assert.Equal(received.Count(RequestKind.Delete), counters.Get(fs, $"{Requests}/delete"));
        long total = 0;
        foreach (var (key, value) in counted)
        {
            if (key.StartsWith(Requests + "/", StringComparison.Ordinal))
            {
                total += value;
            }
        }

        Assert.True(received.Total == total, $"the emulator received {kinds}; the file system counted {summary}");
    }
}
