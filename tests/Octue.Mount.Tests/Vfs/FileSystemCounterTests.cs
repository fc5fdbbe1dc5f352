using Microsoft.Extensions.Time.Testing;
using Octue.Mount.Emulator;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>The file system's counters other than requests: metadata cache hits and misses, hidden names, recoveries.</summary>
public sealed class FileSystemCounterTests : IClassFixture<VfsFixture>
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    private readonly VfsFixture _fixture;

    public FileSystemCounterTests(VfsFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task A_stat_within_the_ttl_is_a_hit_that_costs_nothing_and_after_it_a_miss_that_asks_the_store()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "f.txt", "one");
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        using var counters = new FileSystemCounters();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", Ttl, configure: o => o with { TimeProvider = clock });
        _fixture.Emulator.Requests.Reset();
        var file = await mount.LookupPathAsync("f.txt");
        var hits = counters.Get(mount.Fs, "octue.mount.metadata_cache.hits");
        var misses = counters.Get(mount.Fs, "octue.mount.metadata_cache.misses");
        // The first lookup knows neither the name as an object nor as a directory (two misses), and one listing of
        // the name tells both.
        Assert.Equal(1, _fixture.Emulator.Requests.Total);
        Assert.Equal(2, misses);

        _fixture.Emulator.Requests.Reset();
        Assert.True((await mount.Fs.GetAttributesAsync(file.NodeId)).IsOk);
        Assert.Equal(hits + 1, counters.Get(mount.Fs, "octue.mount.metadata_cache.hits"));
        Assert.Equal(misses, counters.Get(mount.Fs, "octue.mount.metadata_cache.misses"));
        Assert.Equal(0, _fixture.Emulator.Requests.Total);

        clock.Advance(Ttl + TimeSpan.FromSeconds(1));
        Assert.True((await mount.Fs.GetAttributesAsync(file.NodeId)).IsOk);
        Assert.Equal(hits + 1, counters.Get(mount.Fs, "octue.mount.metadata_cache.hits"));
        Assert.Equal(misses + 1, counters.Get(mount.Fs, "octue.mount.metadata_cache.misses"));
        Assert.Equal(1, _fixture.Emulator.Requests.Count(RequestKind.GetObject));
    }

    [Fact]
    public async Task Each_object_hidden_from_a_listing_is_counted()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "shown.txt", "ok");
        _fixture.Put(bucket, new string('n', 256), "a name over 255 bytes");
        _fixture.Put(bucket, "also-shown.txt", "ok");
        using var counters = new FileSystemCounters();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");

        Assert.Equal(new[] { "also-shown.txt", "shown.txt" }, (await mount.NamesAsync("")).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(1, counters.Get(mount.Fs, "octue.mount.vfs.hidden_names"));
    }

    [Fact]
    public async Task Recovered_staged_files_are_counted_by_outcome()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "busy.txt", "v1");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "new.txt", 0b110_100_100, OpenFlags.Write);
        await mount.Fs.WriteAsync(created.Value.Handle, 0, "unsaved"u8.ToArray());
        var busy = await mount.LookupPathAsync("busy.txt");
        var handle = await mount.Fs.OpenAsync(busy.NodeId, OpenFlags.Write | OpenFlags.Truncate);
        await mount.Fs.WriteAsync(handle.Value, 0, "local v2"u8.ToArray());
        await mount.Fs.DisposeAsync();
        _fixture.Put(bucket, "busy.txt", "remote v2");

        using var counters = new FileSystemCounters();
        var fs = await mount.RestartAsync(_fixture, $"gs://{bucket}");

        Assert.Equal(1, counters.Get(fs, "octue.mount.vfs.recovered/uploaded"));
        Assert.Equal(1, counters.Get(fs, "octue.mount.vfs.recovered/conflict"));
        Assert.Equal(1, counters.Get(fs, "octue.mount.vfs.conflicts"));
        Assert.True(_fixture.Exists(bucket, "new.txt"));
    }
}
