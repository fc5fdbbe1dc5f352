using Octue.Mount.Emulator;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// A file written from its start in order streams to a resumable upload while it is written, and close sends only the
/// rest: the object is exact, nothing is published before close, and every way the stream can break (a write
/// elsewhere, a burst of 503s, a full cache disk, a lost race) publishes nothing partial, gives the writer its error
/// and keeps the bytes as an upload at close always did. Chunks are 256 KiB here, so a file of a few MiB streams.
/// </summary>
public sealed class StreamedWriteTests : IClassFixture<VfsFixture>
{
    private const int Chunk = 256 * 1024;
    private const int WriteSize = 128 * 1024;
    private readonly VfsFixture _fixture;

    public StreamedWriteTests(VfsFixture fixture) => _fixture = fixture;

    private long Uploads => _fixture.Emulator.Requests.Count(RequestKind.Upload);

    private Task<MountedBucket> MountAsync(string bucket, string? cacheDirectory = null) =>
        MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", cacheDirectory: cacheDirectory, configure: o => o with { WriteChunkSize = Chunk });

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task WriteAsync(IFileSystem fs, ulong handle, byte[] data, int from, int to)
    {
        for (var offset = from; offset < to; offset += WriteSize)
        {
            var count = Math.Min(WriteSize, to - offset);
            var written = await fs.WriteAsync(handle, offset, data.AsMemory(offset, count));
            Assert.True(written.IsOk, $"write at {offset} failed with {written.Error}");
            Assert.Equal(count, written.Value.Count);
        }
    }

    /// <summary>Waits until the emulator has taken at least <paramref name="count"/> upload requests more than <paramref name="before"/>.</summary>
    private async Task WaitForUploadsAsync(long before, int count)
    {
        for (var i = 0; i < 500 && Uploads - before < count; i++)
        {
            await Task.Delay(20);
        }

        Assert.True(Uploads - before >= count, $"only {Uploads - before} upload requests went out while the file was written; expected {count}");
    }

    private static string[] ConflictFiles(string cacheDirectory)
    {
        var folder = Path.Combine(cacheDirectory, "conflicts");
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(p => !p.EndsWith(".json")).ToArray()
            : [];
    }

    [Fact]
    public async Task A_new_file_written_in_order_streams_while_written_and_close_publishes_it_exact_with_the_last_mtime()
    {
        var bucket = _fixture.NewBucket("stream");
        var data = RandomBytes((12 * Chunk) + 4321, seed: 1);
        await using var mount = await MountAsync(bucket);
        var before = Uploads;

        var created = (await mount.Fs.CreateAsync(IFileSystem.RootId, "big.bin", 0b110_100_000, OpenFlags.Write)).Value;
        await WriteAsync(mount.Fs, created.Handle, data, 0, 8 * Chunk);
        // The session opened and chunks went out while the file is still open, and nothing is published yet.
        await WaitForUploadsAsync(before, 3);
        Assert.False(_fixture.Exists(bucket, "big.bin"));
        await WriteAsync(mount.Fs, created.Handle, data, 8 * Chunk, data.Length);
        // An mtime set after the last write is what the object keeps (the session started with an earlier one).
        const long mtime = 1_700_000_000L * 1_000_000_000;
        Assert.True((await mount.Fs.SetAttributesAsync(created.Attributes.NodeId, created.Handle, new SetAttributes { ModifiedNs = mtime })).IsOk);
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(created.Handle));

        Assert.Equal(data, _fixture.Bytes(bucket, "big.bin"));
        var metadata = _fixture.Metadata(bucket, "big.bin");
        Assert.Equal("1700000000", metadata[PosixMetadata.MtimeKey]);
        Assert.Equal("640", metadata["goog-reserved-posix-mode"][^3..]);
        Assert.Empty(Directory.GetFiles(Path.Combine(mount.CacheDirectory, "staging")));
        // Read back through the mount: the same bytes.
        var opened = (await mount.Fs.OpenAsync(created.Attributes.NodeId, OpenFlags.Read)).Value;
        var back = new byte[data.Length + 10];
        var read = 0;
        while (read < data.Length && (await mount.Fs.ReadAsync(opened, read, back.AsMemory(read, Math.Min(1 << 20, back.Length - read)))).Value is var n and > 0)
        {
            read += n;
        }

        await mount.Fs.ReleaseAsync(opened);
        Assert.Equal(data, back[..read]);
    }

    [Fact]
    public async Task A_flush_before_the_first_chunk_saves_the_empty_file_and_the_stream_still_starts_on_its_generation()
    {
        // dd opens its output, duplicates the descriptor and closes the first: a flush of an empty new file.
        var bucket = _fixture.NewBucket("stream");
        var data = RandomBytes((6 * Chunk) + 77, seed: 9);
        await using var mount = await MountAsync(bucket);

        var created = (await mount.Fs.CreateAsync(IFileSystem.RootId, "dd.bin", 0b110_100_100, OpenFlags.Write)).Value;
        Assert.Equal(VfsError.None, await mount.Fs.FlushAsync(created.Handle));
        Assert.Empty(_fixture.Bytes(bucket, "dd.bin"));
        var before = Uploads;
        await WriteAsync(mount.Fs, created.Handle, data, 0, 4 * Chunk);
        await WaitForUploadsAsync(before, 2);
        await WriteAsync(mount.Fs, created.Handle, data, 4 * Chunk, data.Length);
        Assert.Equal(VfsError.None, await mount.Fs.FsyncAsync(created.Handle));
        Assert.Equal(data, _fixture.Bytes(bucket, "dd.bin"));
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(created.Handle));
        Assert.Equal(data, _fixture.Bytes(bucket, "dd.bin"));
    }

    [Fact]
    public async Task A_write_back_in_the_file_abandons_the_stream_and_close_uploads_the_exact_bytes()
    {
        var bucket = _fixture.NewBucket("stream");
        var data = RandomBytes(10 * Chunk, seed: 2);
        await using var mount = await MountAsync(bucket);
        var before = Uploads;

        var created = (await mount.Fs.CreateAsync(IFileSystem.RootId, "edited.bin", 0b110_100_100, OpenFlags.Write)).Value;
        await WriteAsync(mount.Fs, created.Handle, data, 0, 6 * Chunk);
        await WaitForUploadsAsync(before, 2);
        // A seek back: bytes already sent change.
        var patch = RandomBytes(1000, seed: 3);
        patch.CopyTo(data, Chunk + 17);
        Assert.Equal(1000, (await mount.Fs.WriteAsync(created.Handle, Chunk + 17, patch)).Value.Count);
        await WriteAsync(mount.Fs, created.Handle, data, 6 * Chunk, data.Length);
        Assert.False(_fixture.Exists(bucket, "edited.bin"));
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(created.Handle));

        Assert.Equal(data, _fixture.Bytes(bucket, "edited.bin"));
    }

    [Fact]
    public async Task A_file_renamed_while_it_streams_ends_whole_under_its_new_name_and_nothing_under_the_old()
    {
        var bucket = _fixture.NewBucket("stream");
        var data = RandomBytes((8 * Chunk) + 9, seed: 10);
        await using var mount = await MountAsync(bucket);
        var before = Uploads;

        var created = (await mount.Fs.CreateAsync(IFileSystem.RootId, "draft.bin", 0b110_100_100, OpenFlags.Write)).Value;
        await WriteAsync(mount.Fs, created.Handle, data, 0, 4 * Chunk);
        await WaitForUploadsAsync(before, 2);
        Assert.Equal(VfsError.None, await mount.Fs.RenameAsync(IFileSystem.RootId, "draft.bin", IFileSystem.RootId, "final.bin", RenameFlags.None));
        await WriteAsync(mount.Fs, created.Handle, data, 4 * Chunk, data.Length);
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(created.Handle));

        Assert.Equal(data, _fixture.Bytes(bucket, "final.bin"));
        Assert.False(_fixture.Exists(bucket, "draft.bin"));
    }

    [Fact]
    public async Task A_burst_of_503s_while_streaming_is_retried_and_the_object_is_exact()
    {
        var bucket = _fixture.NewBucket("stream");
        var data = RandomBytes((9 * Chunk) + 1, seed: 4);
        await using var mount = await MountAsync(bucket);
        var before = Uploads;

        var created = (await mount.Fs.CreateAsync(IFileSystem.RootId, "flaky.bin", 0b110_100_100, OpenFlags.Write)).Value;
        await WriteAsync(mount.Fs, created.Handle, data, 0, 2 * Chunk);
        await WaitForUploadsAsync(before, 1);
        _fixture.Emulator.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = 503, Bucket = bucket, RequestKind = RequestKind.Upload, Method = "PUT", Times = 2 });
        await WriteAsync(mount.Fs, created.Handle, data, 2 * Chunk, data.Length);
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(created.Handle));

        Assert.Equal(data, _fixture.Bytes(bucket, "flaky.bin"));
        Assert.True(_fixture.Emulator.Faults.Triggered >= 2);
    }

    [Fact]
    public async Task Failures_past_the_retries_publish_nothing_the_writer_gets_the_error_and_the_bytes_stay_staged_for_a_later_upload()
    {
        var bucket = _fixture.NewBucket("stream");
        var data = RandomBytes((9 * Chunk) + 3, seed: 5);
        await using var mount = await MountAsync(bucket);
        var before = Uploads;

        var created = (await mount.Fs.CreateAsync(IFileSystem.RootId, "down.bin", 0b110_100_100, OpenFlags.Write)).Value;
        await WriteAsync(mount.Fs, created.Handle, data, 0, 3 * Chunk);
        await WaitForUploadsAsync(before, 2);
        _fixture.Emulator.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = 503, Bucket = bucket, RequestKind = RequestKind.Upload, Times = 10_000 });
        try
        {
            await WriteAsync(mount.Fs, created.Handle, data, 3 * Chunk, data.Length);
            var closed = await mount.Fs.ReleaseAsync(created.Handle);
            Assert.NotEqual(VfsError.None, closed);
            Assert.False(_fixture.Exists(bucket, "down.bin"));
        }
        finally
        {
            _fixture.Emulator.Faults.Clear();
        }

        // The bytes stayed staged: the next open saves them first.
        var staged = Directory.GetFiles(Path.Combine(mount.CacheDirectory, "staging"), "*.data");
        Assert.Equal(data, File.ReadAllBytes(Assert.Single(staged)));
        var file = await mount.LookupPathAsync("down.bin");
        var opened = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Read);
        Assert.True(opened.IsOk, $"open failed with {opened.Error}");
        await mount.Fs.ReleaseAsync(opened.Value);
        Assert.Equal(data, _fixture.Bytes(bucket, "down.bin"));
    }

    [Fact]
    public async Task A_full_cache_disk_while_streaming_publishes_nothing_and_the_writer_gets_ENOSPC()
    {
        using var disk = SmallDisk.Mount(kibibytes: 8192);
        var bucket = _fixture.NewBucket("stream");
        var data = RandomBytes(16 * Chunk, seed: 6);
        await using var mount = await MountAsync(bucket, cacheDirectory: Path.Combine(disk.Path, "cache"));
        var before = Uploads;

        var created = (await mount.Fs.CreateAsync(IFileSystem.RootId, "full.bin", 0b110_100_100, OpenFlags.Write)).Value;
        await WriteAsync(mount.Fs, created.Handle, data, 0, 4 * Chunk);
        await WaitForUploadsAsync(before, 2);
        var filler = disk.Fill();
        VfsError refused = VfsError.None;
        for (var offset = 4 * Chunk; offset < data.Length && refused == VfsError.None; offset += WriteSize)
        {
            refused = (await mount.Fs.WriteAsync(created.Handle, offset, data.AsMemory(offset, WriteSize))).Error;
        }

        Assert.Equal(VfsError.NoSpace, refused);
        Assert.Equal(VfsError.NoSpace, await mount.Fs.ReleaseAsync(created.Handle));
        Assert.False(_fixture.Exists(bucket, "full.bin"));
        Assert.Empty(Directory.GetFiles(Path.Combine(mount.CacheDirectory, "staging")));

        // Not even the next start publishes it.
        File.Delete(filler);
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.False(_fixture.Exists(bucket, "full.bin"));
    }

    [Fact]
    public async Task A_race_lost_while_streaming_gives_ESTALE_keeps_the_losers_bytes_and_the_winner_stays()
    {
        var bucket = _fixture.NewBucket("stream");
        var data = RandomBytes((7 * Chunk) + 11, seed: 7);
        await using var mount = await MountAsync(bucket);
        var before = Uploads;

        var created = (await mount.Fs.CreateAsync(IFileSystem.RootId, "raced.bin", 0b110_100_100, OpenFlags.Write)).Value;
        await WriteAsync(mount.Fs, created.Handle, data, 0, 4 * Chunk);
        await WaitForUploadsAsync(before, 2);
        _fixture.Put(bucket, "raced.bin", "the winner");
        await WriteAsync(mount.Fs, created.Handle, data, 4 * Chunk, data.Length);

        Assert.Equal(VfsError.Stale, await mount.Fs.ReleaseAsync(created.Handle));
        Assert.Equal("the winner", System.Text.Encoding.UTF8.GetString(_fixture.Bytes(bucket, "raced.bin")));
        Assert.Equal(data, File.ReadAllBytes(Assert.Single(ConflictFiles(mount.CacheDirectory))));
    }

    [Fact]
    public async Task An_existing_object_truncated_at_open_streams_too_and_a_change_meanwhile_is_a_lost_race()
    {
        var bucket = _fixture.NewBucket("stream");
        _fixture.Put(bucket, "old.bin", "old bytes");
        var data = RandomBytes((5 * Chunk) + 5, seed: 8);
        await using var mount = await MountAsync(bucket);

        var file = await mount.LookupPathAsync("old.bin");
        var before = Uploads;
        var handle = (await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Write | OpenFlags.Truncate)).Value;
        await WriteAsync(mount.Fs, handle, data, 0, 3 * Chunk);
        await WaitForUploadsAsync(before, 2);
        Assert.Equal("old bytes", System.Text.Encoding.UTF8.GetString(_fixture.Bytes(bucket, "old.bin")));
        await WriteAsync(mount.Fs, handle, data, 3 * Chunk, data.Length);
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(handle));
        Assert.Equal(data, _fixture.Bytes(bucket, "old.bin"));

        // Again, while another machine replaces the object: the stream's generation precondition loses.
        before = Uploads;
        handle = (await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Write | OpenFlags.Truncate)).Value;
        await WriteAsync(mount.Fs, handle, data, 0, 3 * Chunk);
        await WaitForUploadsAsync(before, 2);
        _fixture.Put(bucket, "old.bin", "replaced elsewhere");
        Assert.Equal(VfsError.Stale, await mount.Fs.ReleaseAsync(handle));
        Assert.Equal("replaced elsewhere", System.Text.Encoding.UTF8.GetString(_fixture.Bytes(bucket, "old.bin")));
    }
}
