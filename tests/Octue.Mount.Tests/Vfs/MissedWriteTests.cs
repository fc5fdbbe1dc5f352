using System.Text;
using Octue.Mount.Emulator;
using Octue.Mount.Storage;
using Octue.Mount.Tests.Octue;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// A staged copy that missed a write (a full or failing cache disk) is never uploaded, now or by a recovery: the
/// writer gets the error at the write and again at flush, fsync and close, and the object keeps its bytes and its
/// generation. The disk is made to fail for real: a cache folder on a tmpfs of a few pages.
/// </summary>
public sealed class MissedWriteTests : IClassFixture<VfsFixture>
{
    private const int Chunk = 64 * 1024;
    private readonly VfsFixture _fixture;

    public MissedWriteTests(VfsFixture fixture) => _fixture = fixture;

    private long Uploads => _fixture.Emulator.Requests.Count(RequestKind.Upload);

    private static string[] StagingFiles(string cache) => Directory.GetFiles(Path.Combine(cache, "staging"));

    private long GenerationOf(string bucket, string name) =>
        _fixture.Emulator.Store.TryGetObject(bucket, name, out var obj) ? obj.Generation : 0;

    [Fact]
    public async Task A_write_the_full_cache_disk_refuses_is_never_uploaded_and_flush_fsync_and_close_report_it()
    {
        using var disk = SmallDisk.Mount(kibibytes: 512);
        var bucket = _fixture.NewBucket();
        var original = RandomBytes(100 * 1024, seed: 1);
        var generation = _fixture.Emulator.Store.PutObject(bucket, "doc.bin", original);
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", cacheDirectory: Path.Combine(disk.Path, "cache"));
        var uploads = Uploads;

        var file = await mount.LookupPathAsync("doc.bin");
        var handle = (await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Write | OpenFlags.Truncate)).Value;
        var written = await WriteUntilRefusedAsync(mount.Fs, handle);

        Assert.True(written > 0, "no write succeeded before the disk was full");
        Assert.Equal(VfsError.NoSpace, (await mount.Fs.WriteAsync(handle, written, new byte[10])).Error);
        Assert.Equal(VfsError.NoSpace, await mount.Fs.FsyncAsync(handle));
        Assert.Equal(VfsError.NoSpace, await mount.Fs.FlushAsync(handle));
        Assert.Equal(VfsError.NoSpace, await mount.Fs.ReleaseAsync(handle));

        Assert.Equal(generation, GenerationOf(bucket, "doc.bin"));
        Assert.Equal(original, _fixture.Bytes(bucket, "doc.bin"));
        Assert.Equal(uploads, Uploads);
        Assert.Empty(StagingFiles(mount.CacheDirectory));

        // Nothing is left for the next start to upload, and the space came back: a write that fits now succeeds.
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.Equal(generation, GenerationOf(bucket, "doc.bin"));
        Assert.Equal(uploads, Uploads);
        var root = await mount.Fs.GetAttributesAsync(IFileSystem.RootId);
        Assert.Equal(VfsError.None, await mount.WriteFileAsync(root.Value.NodeId, "doc.bin", "fits"u8.ToArray()));
        Assert.Equal("fits", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "doc.bin")));
    }

    [Fact]
    public async Task A_new_file_whose_copy_missed_a_write_creates_no_object_now_or_after_a_restart()
    {
        using var disk = SmallDisk.Mount(kibibytes: 512);
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", cacheDirectory: Path.Combine(disk.Path, "cache"));
        var uploads = Uploads;

        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "new.bin", 0b110_100_100, OpenFlags.Write);
        var written = await WriteUntilRefusedAsync(mount.Fs, created.Value.Handle);
        Assert.True(written > 0);
        Assert.Equal(VfsError.NoSpace, await mount.Fs.ReleaseAsync(created.Value.Handle));

        Assert.False(_fixture.Exists(bucket, "new.bin"));
        Assert.Empty(StagingFiles(mount.CacheDirectory));
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.False(_fixture.Exists(bucket, "new.bin"));
        Assert.Equal(uploads, Uploads);
    }

    [Fact]
    public async Task A_truncation_the_staged_copy_cannot_record_is_never_uploaded()
    {
        using var disk = SmallDisk.Mount(kibibytes: 256);
        var bucket = _fixture.NewBucket();
        var generation = _fixture.Put(bucket, "cut.txt", "original bytes");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", cacheDirectory: Path.Combine(disk.Path, "cache"));
        var uploads = Uploads;

        // Written, then touched (the sidecar records the explicit mtime), so the truncation must record its change
        // again before it happens, on a disk that is full by then.
        var file = await mount.LookupPathAsync("cut.txt");
        var handle = (await mount.Fs.OpenAsync(file.NodeId, OpenFlags.ReadWrite)).Value;
        Assert.Equal(3, (await mount.Fs.WriteAsync(handle, 0, "NEW"u8.ToArray())).Value.Count);
        Assert.True((await mount.Fs.SetAttributesAsync(file.NodeId, handle, new SetAttributes { ModifiedNs = 1_600_000_000L * 1_000_000_000 })).IsOk);
        var filler = disk.Fill();
        Assert.Equal(VfsError.NoSpace, (await mount.Fs.SetAttributesAsync(file.NodeId, handle, new SetAttributes { Size = 3 })).Error);
        Assert.Equal(VfsError.NoSpace, await mount.Fs.FlushAsync(handle));
        Assert.Equal(VfsError.NoSpace, await mount.Fs.ReleaseAsync(handle));

        // truncate(2) with no open handle stages, resizes and uploads at once: the same rule holds.
        Assert.Equal(VfsError.NoSpace, (await mount.Fs.SetAttributesAsync(file.NodeId, null, new SetAttributes { Size = 5 })).Error);

        Assert.Equal(generation, GenerationOf(bucket, "cut.txt"));
        Assert.Equal("original bytes", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "cut.txt")));
        Assert.Equal(uploads, Uploads);
        Assert.Empty(StagingFiles(mount.CacheDirectory));
        File.Delete(filler);
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.Equal(generation, GenerationOf(bucket, "cut.txt"));
    }

    [Fact]
    public async Task A_copy_cut_short_by_a_crash_while_the_object_is_copied_in_is_not_uploaded_at_the_next_start()
    {
        var bucket = _fixture.NewBucket();
        var original = RandomBytes(3 << 20, seed: 2);
        var generation = _fixture.Emulator.Store.PutObject(bucket, "big.bin", original);
        var store = new StallingReadStore(_fixture.Store, stallFrom: 1 << 20);
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", store: store,
            configure: o => o with { Read = o.Read with { ChunkSize = 1 << 20, Parallelism = 1 } });
        var file = await mount.LookupPathAsync("big.bin");
        var handle = (await mount.Fs.OpenAsync(file.NodeId, OpenFlags.ReadWrite)).Value;

        // The first write copies the object in before changing it; its second MiB never arrives.
        var write = mount.Fs.WriteAsync(handle, 10, "changed"u8.ToArray()).AsTask();
        var staging = Path.Combine(mount.CacheDirectory, "staging");
        for (var i = 0; i < 300 && !Directory.EnumerateFiles(staging, "*.data").Any(p => new FileInfo(p).Length >= 1 << 20); i++)
        {
            await Task.Delay(50);
        }

        Assert.Contains(Directory.EnumerateFiles(staging, "*.data"), p => new FileInfo(p).Length == 1 << 20);

        // The process dies now: what is on its disk is what the next start finds.
        var afterCrash = Directory.CreateTempSubdirectory("octue-vfs-test-").FullName;
        var copiedStaging = Directory.CreateDirectory(Path.Combine(afterCrash, "staging")).FullName;
        foreach (var path in Directory.GetFiles(staging))
        {
            File.Copy(path, Path.Combine(copiedStaging, Path.GetFileName(path)));
        }

        await using (var next = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", cacheDirectory: afterCrash))
        {
            Assert.Equal(generation, GenerationOf(bucket, "big.bin"));
            Assert.Equal(original, _fixture.Bytes(bucket, "big.bin"));
            Assert.Empty(Directory.GetFiles(copiedStaging));
        }

        store.Release();
        Assert.Equal(7, (await write).Value.Count);
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(handle));
        var expected = (byte[])original.Clone();
        "changed"u8.CopyTo(expected.AsSpan(10));
        Assert.Equal(expected, _fixture.Bytes(bucket, "big.bin"));
    }

    [Fact]
    public async Task A_copy_left_while_it_was_being_filled_under_an_older_sidecar_is_kept_not_uploaded()
    {
        // An older version marked a copy of an existing object unsaved from its creation: a crash while the object's
        // bytes were being copied in left this, which must not replace the object with its first 40 bytes.
        var bucket = _fixture.NewBucket();
        var original = RandomBytes(100, seed: 4);
        var generation = _fixture.Emulator.Store.PutObject(bucket, "filled.bin", original);
        var cache = Directory.CreateTempSubdirectory("octue-vfs-test-").FullName;
        var staging = Directory.CreateDirectory(Path.Combine(cache, "staging")).FullName;
        File.WriteAllText(Path.Combine(staging, "fedcba9876543210fedcba9876543210.json"),
            $$"""{"Bucket": "{{bucket}}", "ObjectName": "filled.bin", "BaseGeneration": {{generation}}, "BaseMetageneration": 1, "BaseMetadata": {}, "Metadata": {}, "Clean": false, "BytesChanged": false}""");
        File.WriteAllBytes(Path.Combine(staging, "fedcba9876543210fedcba9876543210.data"), original[..40]);
        using var counters = new FileSystemCounters();
        var uploads = Uploads;

        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", cacheDirectory: cache);

        Assert.Equal(generation, GenerationOf(bucket, "filled.bin"));
        Assert.Equal(original, _fixture.Bytes(bucket, "filled.bin"));
        Assert.Equal(uploads, Uploads);
        Assert.Equal(1, counters.Get(mount.Fs, "octue.mount.vfs.recovered/refused"));
        var kept = Directory.GetFiles(Path.Combine(cache, "conflicts"), "*filled.bin", SearchOption.AllDirectories);
        Assert.Equal(original[..40], File.ReadAllBytes(Assert.Single(kept)));
        Assert.Empty(StagingFiles(cache));
    }

    [Fact]
    public async Task An_open_with_O_TRUNC_that_cannot_record_its_change_fails_and_leaves_nothing_to_recover()
    {
        using var disk = SmallDisk.Mount(kibibytes: 256);
        var bucket = _fixture.NewBucket();
        var generation = _fixture.Put(bucket, "kept.txt", "must survive");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", cacheDirectory: Path.Combine(disk.Path, "cache"));
        var file = await mount.LookupPathAsync("kept.txt");

        // Room for the new staged copy's first sidecar and nothing more: recording the truncation fails.
        var filler = disk.Fill(pagesLeft: 1);
        Assert.Equal(VfsError.NoSpace, (await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Write | OpenFlags.Truncate)).Error);
        Assert.Empty(StagingFiles(mount.CacheDirectory));

        File.Delete(filler);
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.Equal(generation, GenerationOf(bucket, "kept.txt"));
        Assert.Equal("must survive", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "kept.txt")));
    }

    [Fact]
    public async Task A_sidecar_cut_short_by_a_crash_is_removed_at_the_next_start()
    {
        var bucket = _fixture.NewBucket();
        var cache = Directory.CreateTempSubdirectory("octue-vfs-test-").FullName;
        var staging = Directory.CreateDirectory(Path.Combine(cache, "staging")).FullName;
        File.WriteAllText(Path.Combine(staging, "0123456789abcdef0123456789abcdef.json.tmp"), "{\"Bucket\": \"");

        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", cacheDirectory: cache);

        Assert.Empty(Directory.GetFiles(staging));
    }

    /// <summary>Writes 64 KiB chunks (at most 4 MiB) until one is refused; returns the bytes accepted.</summary>
    private static async Task<long> WriteUntilRefusedAsync(IFileSystem fs, ulong handle)
    {
        var chunk = RandomBytes(Chunk, seed: 3);
        long offset = 0;
        while (offset < 4 << 20)
        {
            var written = await fs.WriteAsync(handle, offset, chunk);
            if (!written.IsOk)
            {
                Assert.Equal(VfsError.NoSpace, written.Error);
                return offset;
            }

            offset += written.Value.Count;
        }

        throw new Xunit.Sdk.XunitException("the small disk never filled up");
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Downloads of ranges from <c>stallFrom</c> on wait until <see cref="Release"/>: a copy-in stopped half way.</summary>
    private sealed class StallingReadStore(IObjectStore inner, long stallFrom) : DelegatingObjectStore(inner)
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _released.TrySetResult();

        public override async Task<Stream> OpenReadAsync(string bucket, string name, long offset = 0, long? length = null, long? generation = null,
            CancellationToken cancellationToken = default)
        {
            if (offset >= stallFrom)
            {
                await _released.Task.WaitAsync(cancellationToken);
            }

            Stream stream = await Inner.OpenReadAsync(bucket, name, offset, length, generation, cancellationToken);
            // A download that runs past the stall point (a sequential reader's streaming GET) delivers the bytes
            // before it, then stalls too.
            return offset < stallFrom && !_released.Task.IsCompleted ? new HeldStream(stream, stallFrom - offset, _released.Task) : stream;
        }
    }
}
