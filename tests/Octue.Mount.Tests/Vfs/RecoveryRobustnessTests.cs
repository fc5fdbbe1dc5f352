using System.Text;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// Recovery of staged files at start when something local is wrong (a damaged sidecar, a disk that refuses a
/// write), and the mtime a recovered file gets.
/// </summary>
public sealed class RecoveryRobustnessTests : IClassFixture<VfsFixture>
{
    private static readonly DateTime LastWrite = new(2021, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private const string LastWriteSeconds = "1609459200";
    private readonly VfsFixture _fixture;

    public RecoveryRobustnessTests(VfsFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Damaged_sidecars_keep_their_bytes_and_the_mount_starts_and_recovers_the_rest()
    {
        var bucket = _fixture.NewBucket();
        var cache = Directory.CreateTempSubdirectory("octue-vfs-test-").FullName;
        var staging = Directory.CreateDirectory(Path.Combine(cache, "staging")).FullName;
        // Cut short mid-write, and valid JSON that names no bucket: neither describes an upload.
        Leftover(staging, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", $$"""{"Bucket": "{{bucket}}", "ObjectName": "cut.txt", "BaseGen""", "cut short");
        Leftover(staging, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", """{"Bucket": "", "ObjectName": "nameless.txt", "BaseGeneration": 0, "Metadata": {}, "Clean": false}""", "no bucket");
        Leftover(staging, "cccccccccccccccccccccccccccccccc", $$"""{"Bucket": "{{bucket}}", "ObjectName": "fine.txt", "BaseGeneration": 0, "Metadata": {}, "Clean": false}""", "fine");
        using var counters = new FileSystemCounters();

        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", cacheDirectory: cache);

        Assert.Equal("fine", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "fine.txt")));
        Assert.Equal("cut short", File.ReadAllText(Path.Combine(staging, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.data")));
        Assert.Equal("no bucket", File.ReadAllText(Path.Combine(staging, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.data")));
        Assert.Equal(2, counters.Get(mount.Fs, "octue.mount.vfs.recovered/unreadable"));
        Assert.Equal(1, counters.Get(mount.Fs, "octue.mount.vfs.recovered/uploaded"));
    }

    [Fact]
    public async Task A_staged_file_that_cannot_be_kept_for_a_local_reason_stays_in_staging_and_the_mount_starts()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "busy.txt", "v1");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("busy.txt");
        var handle = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Write | OpenFlags.Truncate);
        await mount.Fs.WriteAsync(handle.Value, 0, "local v2"u8.ToArray());
        await mount.Fs.DisposeAsync();
        _fixture.Put(bucket, "busy.txt", "remote v2");
        // The copy must go to conflicts/, and the disk refuses: a file stands where the folder would be.
        var conflicts = Path.Combine(mount.CacheDirectory, "conflicts");
        File.WriteAllText(conflicts, "in the way");
        using var counters = new FileSystemCounters();

        var fs = await mount.RestartAsync(_fixture, $"gs://{bucket}");

        Assert.Equal(1, counters.Get(fs, "octue.mount.vfs.recovered/local_error"));
        var kept = Assert.Single(Directory.EnumerateFiles(Path.Combine(mount.CacheDirectory, "staging"), "*.data"));
        Assert.Equal("local v2", File.ReadAllText(kept));
        Assert.True((await fs.GetAttributesAsync(IFileSystem.RootId)).IsOk);

        // Once the disk is fixed, the next start finishes the job.
        File.Delete(conflicts);
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(mount.CacheDirectory, "staging"), "*.data"));
        Assert.Equal("local v2", File.ReadAllText(Assert.Single(Directory.EnumerateFiles(conflicts, "*", SearchOption.AllDirectories), p => !p.EndsWith(".json", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task A_file_written_before_a_crash_is_recovered_with_the_time_of_its_last_write()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "edited.txt", "before");
        _fixture.Put(bucket, "shrunk.txt", "longer");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var shrunk = await mount.LookupPathAsync("shrunk.txt");
        var shrinking = await mount.Fs.OpenAsync(shrunk.NodeId, OpenFlags.ReadWrite);
        Assert.True((await mount.Fs.SetAttributesAsync(shrunk.NodeId, shrinking.Value, new SetAttributes { Size = 4 })).IsOk);
        var edited = await mount.LookupPathAsync("edited.txt");
        var handle = await mount.Fs.OpenAsync(edited.NodeId, OpenFlags.ReadWrite);
        await mount.Fs.WriteAsync(handle.Value, 6, " and after"u8.ToArray());
        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "new.txt", 0b110_100_100, OpenFlags.Write);
        await mount.Fs.WriteAsync(created.Value.Handle, 0, "new"u8.ToArray());
        await CrashAtAsync(mount, LastWrite);

        await mount.RestartAsync(_fixture, $"gs://{bucket}");

        Assert.Equal("before and after", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "edited.txt")));
        Assert.Equal(LastWriteSeconds, _fixture.Metadata(bucket, "edited.txt")["goog-reserved-file-mtime"]);
        Assert.Equal(LastWriteSeconds, _fixture.Metadata(bucket, "new.txt")["goog-reserved-file-mtime"]);
        Assert.Equal("long", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "shrunk.txt")));
        Assert.Equal(LastWriteSeconds, _fixture.Metadata(bucket, "shrunk.txt")["goog-reserved-file-mtime"]);
        var attributes = await mount.LookupPathAsync("edited.txt");
        Assert.Equal(new DateTimeOffset(LastWrite).ToUnixTimeSeconds(), attributes.ModifiedNs / 1_000_000_000);
    }

    [Fact]
    public async Task An_mtime_set_after_the_last_write_wins_at_recovery_and_a_write_after_it_wins_over_it()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "touched.txt", "one");
        _fixture.Put(bucket, "touched-then-written.txt", "one");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var explicitNs = 1_500_000_000L * 1_000_000_000;
        foreach (var name in new[] { "touched.txt", "touched-then-written.txt" })
        {
            var file = await mount.LookupPathAsync(name);
            var handle = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.ReadWrite);
            await mount.Fs.WriteAsync(handle.Value, 3, " two"u8.ToArray());
            Assert.True((await mount.Fs.SetAttributesAsync(file.NodeId, handle.Value, new SetAttributes { ModifiedNs = explicitNs })).IsOk);
            if (name == "touched-then-written.txt")
            {
                await mount.Fs.WriteAsync(handle.Value, 7, " three"u8.ToArray());
            }
        }

        await CrashAtAsync(mount, LastWrite);
        await mount.RestartAsync(_fixture, $"gs://{bucket}");

        Assert.Equal("one two", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "touched.txt")));
        Assert.Equal("1500000000", _fixture.Metadata(bucket, "touched.txt")["goog-reserved-file-mtime"]);
        Assert.Equal("one two three", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "touched-then-written.txt")));
        Assert.Equal(LastWriteSeconds, _fixture.Metadata(bucket, "touched-then-written.txt")["goog-reserved-file-mtime"]);
    }

    private static void Leftover(string staging, string id, string sidecar, string data)
    {
        File.WriteAllText(Path.Combine(staging, id + ".json"), sidecar);
        File.WriteAllText(Path.Combine(staging, id + ".data"), data);
    }

    /// <summary>Stops the file system like a crash, with every staged file last written at <paramref name="at"/>.</summary>
    private static async Task CrashAtAsync(MountedBucket mount, DateTime at)
    {
        await mount.Fs.DisposeAsync();
        foreach (var data in Directory.EnumerateFiles(Path.Combine(mount.CacheDirectory, "staging"), "*.data"))
        {
            // What the local file system recorded at the last write; set here so the test need not wait or guess.
            File.SetLastWriteTimeUtc(data, at);
        }
    }
}
