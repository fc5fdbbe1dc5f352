using System.Text;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

public sealed class WriteTests : IClassFixture<VfsFixture>
{
    private readonly VfsFixture _fixture;

    public WriteTests(VfsFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Random_writes_truncates_and_appends_produce_exactly_the_expected_object()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var random = new Random(42);
        var expected = new List<byte>();

        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "data.bin", 0b110_100_100, OpenFlags.ReadWrite);
        Assert.True(created.IsOk);
        var handle = created.Value.Handle;
        for (var i = 0; i < 40; i++)
        {
            var length = random.Next(1, 5000);
            var offset = random.Next(0, expected.Count + 3000);
            var chunk = new byte[length];
            random.NextBytes(chunk);
            Assert.Equal(length, (await mount.Fs.WriteAsync(handle, offset, chunk)).Value.Count);
            while (expected.Count < offset + length)
            {
                expected.Add(0);
            }

            for (var j = 0; j < length; j++)
            {
                expected[offset + j] = chunk[j];
            }

            if (i % 9 == 8)
            {
                var size = random.Next(0, expected.Count + 2000);
                var truncated = await mount.Fs.SetAttributesAsync(created.Value.Attributes.NodeId, handle, new SetAttributes { Size = size });
                Assert.Equal(size, truncated.Value.Size);
                if (size < expected.Count)
                {
                    expected.RemoveRange(size, expected.Count - size);
                }

                while (expected.Count < size)
                {
                    expected.Add(0);
                }
            }
        }

        var attributes = await mount.Fs.GetAttributesAsync(created.Value.Attributes.NodeId, handle);
        Assert.Equal(expected.Count, attributes.Value.Size);
        var readBack = new byte[expected.Count + 10];
        Assert.Equal(expected.Count, (await mount.Fs.ReadAsync(handle, 0, readBack)).Value);
        Assert.Equal(expected.ToArray(), readBack[..expected.Count]);
        Assert.False(_fixture.Exists(bucket, "data.bin"));

        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(handle));
        Assert.Equal(expected.ToArray(), _fixture.Bytes(bucket, "data.bin"));

        // Appends on a reopened file land at the end of the current object.
        var opened = await mount.Fs.OpenAsync(created.Value.Attributes.NodeId, OpenFlags.Write | OpenFlags.Append);
        Assert.True(opened.IsOk);
        await mount.Fs.WriteAsync(opened.Value, 0, "tail-1"u8.ToArray());
        await mount.Fs.WriteAsync(opened.Value, 3, "tail-2"u8.ToArray());
        Assert.Equal(VfsError.None, await mount.Fs.FlushAsync(opened.Value));
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(opened.Value));
        expected.AddRange("tail-1tail-2"u8.ToArray());
        Assert.Equal(expected.ToArray(), _fixture.Bytes(bucket, "data.bin"));

        // O_TRUNC replaces the content; truncate(2) without a handle shortens it.
        var truncating = await mount.Fs.OpenAsync(created.Value.Attributes.NodeId, OpenFlags.Write | OpenFlags.Truncate);
        await mount.Fs.WriteAsync(truncating.Value, 0, "short content"u8.ToArray());
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(truncating.Value));
        Assert.Equal("short content", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "data.bin")));
        var cut = await mount.Fs.SetAttributesAsync(created.Value.Attributes.NodeId, null, new SetAttributes { Size = 5 });
        Assert.True(cut.IsOk, cut.Error.ToString());
        Assert.Equal("short", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "data.bin")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(mount.CacheDirectory, "staging"), "*.data"));
    }

    [Fact]
    public async Task Utimes_then_chmod_after_close_but_before_release_keep_the_given_mtime()
    {
        // rsync's order: write the temporary file, close it (FLUSH uploads), set its times, then its mode; the
        // kernel sends RELEASE asynchronously, so both setattrs can arrive while the handle is still open.
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "synced.bin", 0b110_000_000, OpenFlags.Write);
        var node = created.Value.Attributes.NodeId;
        Assert.Equal(1 << 20, (await mount.Fs.WriteAsync(created.Value.Handle, 0, new byte[1 << 20])).Value.Count);
        Assert.Equal(VfsError.None, await mount.Fs.FlushAsync(created.Value.Handle));

        const long mtime = 1_600_000_000L * 1_000_000_000;
        Assert.True((await mount.Fs.SetAttributesAsync(node, null, new SetAttributes { ModifiedNs = mtime, AccessedNs = mtime })).IsOk);
        Assert.True((await mount.Fs.SetAttributesAsync(node, null, new SetAttributes { Mode = 0b110_100_100 })).IsOk);
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(created.Value.Handle));

        Assert.Equal("1600000000", _fixture.Metadata(bucket, "synced.bin")[PosixMetadata.MtimeKey]);
        Assert.Equal(mtime, (await mount.Fs.GetAttributesAsync(node)).Value.ModifiedNs);
    }

    [Fact]
    public async Task A_file_renamed_between_close_and_release_keeps_its_bytes_and_the_mtime_set_after_close()
    {
        // rsync: write ".name.XXXX", close, utimes, rename to "name"; RELEASE may come after all of that.
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, ".synced.bin.tmp", 0b110_000_000, OpenFlags.Write);
        var node = created.Value.Attributes.NodeId;
        var content = Encoding.UTF8.GetBytes("renamed while open");
        Assert.Equal(content.Length, (await mount.Fs.WriteAsync(created.Value.Handle, 0, content)).Value.Count);
        Assert.Equal(VfsError.None, await mount.Fs.FlushAsync(created.Value.Handle));

        const long mtime = 1_600_000_000L * 1_000_000_000;
        Assert.True((await mount.Fs.SetAttributesAsync(node, null, new SetAttributes { ModifiedNs = mtime })).IsOk);
        Assert.Equal(VfsError.None, await mount.Fs.RenameAsync(IFileSystem.RootId, ".synced.bin.tmp", IFileSystem.RootId, "synced.bin", RenameFlags.None));
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(created.Value.Handle));

        Assert.Equal(content, _fixture.Bytes(bucket, "synced.bin"));
        Assert.Equal("1600000000", _fixture.Metadata(bucket, "synced.bin")[PosixMetadata.MtimeKey]);
        Assert.False(_fixture.Exists(bucket, ".synced.bin.tmp"));
        Assert.Empty(Directory.Exists(Path.Combine(mount.CacheDirectory, "conflicts"))
            ? Directory.GetFiles(Path.Combine(mount.CacheDirectory, "conflicts"), "*", SearchOption.AllDirectories) : []);
    }

    [Fact]
    public async Task A_new_file_renamed_before_its_first_upload_is_uploaded_under_the_new_name()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "draft.txt", 0b110_100_100, OpenFlags.Write);
        await mount.Fs.WriteAsync(created.Value.Handle, 0, "draft"u8.ToArray());
        Assert.Equal(VfsError.None, await mount.Fs.RenameAsync(IFileSystem.RootId, "draft.txt", IFileSystem.RootId, "final.txt", RenameFlags.None));
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(created.Value.Handle));
        Assert.Equal("draft"u8.ToArray(), _fixture.Bytes(bucket, "final.txt"));
        Assert.False(_fixture.Exists(bucket, "draft.txt"));
    }

    [Fact]
    public async Task A_write_in_the_middle_of_an_existing_object_keeps_the_rest_and_its_metadata()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "dir/notes.txt", "0123456789", new Dictionary<string, string> { ["octue__tags"] = "{\"a\": 1}" });
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("dir/notes.txt");
        var handle = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.ReadWrite);
        await mount.Fs.WriteAsync(handle.Value, 3, "abc"u8.ToArray());
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(handle.Value));

        Assert.Equal("012abc6789", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "dir/notes.txt")));
        var metadata = _fixture.Metadata(bucket, "dir/notes.txt");
        Assert.Equal("{\"a\": 1}", metadata["octue__tags"]);
        Assert.True(long.Parse(metadata["goog-reserved-file-mtime"]) > 1_700_000_000);
    }

    [Fact]
    public async Task Create_exclusive_on_an_existing_file_fails_and_a_new_file_is_visible_before_its_upload()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "exists.txt", "x");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        Assert.Equal(VfsError.Exists, (await mount.Fs.CreateAsync(IFileSystem.RootId, "exists.txt", 0b110_100_100, OpenFlags.Write | OpenFlags.Exclusive)).Error);

        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "new.txt", 0b110_100_100, OpenFlags.Write | OpenFlags.Exclusive);
        Assert.True(created.IsOk);
        await mount.Fs.WriteAsync(created.Value.Handle, 0, "hello"u8.ToArray());
        var seen = await mount.Fs.LookupAsync(IFileSystem.RootId, "new.txt");
        Assert.Equal(5, seen.Value.Size);
        Assert.Equal(created.Value.Attributes.NodeId, seen.Value.NodeId);
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(created.Value.Handle));
        Assert.Equal("hello", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "new.txt")));
        Assert.True(_fixture.Emulator.Store.TryGetObject(bucket, "new.txt", out var stored));
        Assert.Equal("text/plain", stored.ContentType);

        // touch: create and close with nothing written makes an empty object.
        var touched = await mount.Fs.CreateAsync(IFileSystem.RootId, "empty", 0b110_100_100, OpenFlags.Write);
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(touched.Value.Handle));
        Assert.Empty(_fixture.Bytes(bucket, "empty"));
    }

    private sealed class RecordingSink : IInvalidationSink
    {
        public List<ulong> Nodes { get; } = new();

        public void InvalidateEntry(ulong parent, string name)
        {
        }

        public void InvalidateAttributes(ulong node)
        {
        }

        public void InvalidateNode(ulong node)
        {
            lock (Nodes)
            {
                Nodes.Add(node);
            }
        }
    }

    [Fact]
    public async Task A_remote_change_noticed_by_getattr_or_open_invalidates_the_kernels_copy()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "f", "one");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", ttl: TimeSpan.Zero);
        var sink = new RecordingSink();
        mount.Fs.InvalidationSink = sink;
        var file = await mount.LookupPathAsync("f");
        Assert.Equal(3, (await mount.Fs.GetAttributesAsync(file.NodeId)).Value.Size);
        Assert.Empty(sink.Nodes);

        _fixture.Put(bucket, "f", "changed");
        Assert.Equal(7, (await mount.Fs.GetAttributesAsync(file.NodeId)).Value.Size);
        Assert.Equal(new[] { file.NodeId }, sink.Nodes);
        Assert.Equal("changed", Encoding.UTF8.GetString(await mount.ReadAllAsync("f")));
    }

    [Fact]
    public async Task A_handle_whose_object_was_replaced_before_its_first_read_is_stale()
    {
        // Larger than what an open downloads whole: its reads are ranged GETs pinned to the generation opened. No
        // metadata is cached, so the open asks the store (a handle opened on a fresh lookup's answer is revalidated by
        // its first read instead: FirstReadRevalidationTests).
        var bucket = _fixture.NewBucket();
        var first = new byte[(1 << 20) + 1];
        new Random(3).NextBytes(first);
        _fixture.Emulator.Store.PutObject(bucket, "f", first);
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", ttl: TimeSpan.Zero);
        var file = await mount.LookupPathAsync("f");
        var handle = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Read);
        _fixture.Put(bucket, "f", "second version, longer");
        var read = await mount.Fs.ReadAsync(handle.Value, 0, new byte[100]);
        Assert.Equal(VfsError.Stale, read.Error);
        await mount.Fs.ReleaseAsync(handle.Value);
        Assert.Equal("second version, longer", Encoding.UTF8.GetString(await mount.ReadAllAsync("f")));
    }

    [Fact]
    public async Task A_small_file_handle_keeps_serving_the_generation_it_opened_after_the_object_is_replaced()
    {
        // A small file is downloaded whole by its open: the handle reads that version to its end, as an open file
        // on a local disk keeps its contents when another program replaces the file; the next open sees the new one.
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "f", "first version");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("f");
        var handle = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Read);
        _fixture.Put(bucket, "f", "second version, longer");
        var buffer = new byte[100];
        var read = await mount.Fs.ReadAsync(handle.Value, 0, buffer);
        Assert.Equal("first version", Encoding.UTF8.GetString(buffer, 0, read.Value));
        await mount.Fs.ReleaseAsync(handle.Value);
        Assert.Equal("second version, longer", Encoding.UTF8.GetString(await mount.ReadAllAsync("f")));
    }

    [Fact]
    public async Task Parallel_reads_on_one_handle_return_the_right_bytes()
    {
        var bucket = _fixture.NewBucket();
        var data = new byte[3 * 1024 * 1024 + 17];
        new Random(5).NextBytes(data);
        _fixture.Emulator.Store.PutObject(bucket, "big.bin", data);
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("big.bin");
        var handle = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Read);
        const int Piece = 128 * 1024;
        var result = new byte[data.Length];
        var offsets = Enumerable.Range(0, (data.Length + Piece - 1) / Piece).Select(i => (long)i * Piece).Reverse().ToArray();
        await Parallel.ForEachAsync(offsets, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (offset, ct) =>
        {
            var length = (int)Math.Min(Piece, data.Length - offset);
            var read = await mount.Fs.ReadAsync(handle.Value, offset, result.AsMemory((int)offset, length), ct);
            Assert.Equal(length, read.Value);
        });
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(handle.Value));
        Assert.Equal(data, result);
    }

    [Fact]
    public async Task Chmod_and_utimes_are_kept_in_gsutil_metadata()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "f", "x");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("f");
        var mtime = 1_600_000_000L * 1_000_000_000;
        var changed = await mount.Fs.SetAttributesAsync(file.NodeId, null, new SetAttributes { Mode = 0b111_101_000, ModifiedNs = mtime, Uid = 1234, Gid = 99 });
        Assert.True(changed.IsOk, changed.Error.ToString());
        Assert.Equal(0b111_101_000u, changed.Value.Mode);
        Assert.Equal(mtime, changed.Value.ModifiedNs);
        Assert.Equal(1234u, changed.Value.Uid);
        var metadata = _fixture.Metadata(bucket, "f");
        Assert.Equal("750", metadata["goog-reserved-posix-mode"]);
        Assert.Equal("1600000000", metadata["goog-reserved-file-mtime"]);
        Assert.Equal("1234", metadata["goog-reserved-posix-uid"]);
        Assert.Equal("99", metadata["goog-reserved-posix-gid"]);
    }

    [Fact]
    public async Task A_read_only_mount_refuses_changes()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "f", "x");
        var cache = Directory.CreateTempSubdirectory("octue-vfs-test-").FullName;
        try
        {
            await using var fs = await OctueFileSystem.CreateAsync(new FileSystemOptions
            {
                Source = MountSource.Parse($"gs://{bucket}", null),
                CacheDirectory = cache,
                ReadOnly = true,
            }, _fixture.Store);
            var file = await fs.LookupAsync(IFileSystem.RootId, "f");
            Assert.Equal(VfsError.ReadOnly, (await fs.OpenAsync(file.Value.NodeId, OpenFlags.Write)).Error);
            Assert.Equal(VfsError.ReadOnly, (await fs.CreateAsync(IFileSystem.RootId, "g", 0b110_100_100, OpenFlags.Write)).Error);
            Assert.Equal(VfsError.ReadOnly, await fs.UnlinkAsync(IFileSystem.RootId, "f"));
            Assert.Equal(VfsError.ReadOnly, (await fs.MakeDirectoryAsync(IFileSystem.RootId, "d", 0b111_101_101)).Error);
        }
        finally
        {
            Directory.Delete(cache, true);
        }
    }

    [Fact]
    public async Task A_small_file_closed_after_writing_leaves_nothing_in_the_content_cache_and_reads_back_from_the_bucket()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var data = new byte[4096];
        new Random(7).NextBytes(data);

        Assert.Equal(VfsError.None, await mount.WriteFileAsync(IFileSystem.RootId, "small.bin", data));

        // Every open of a small file for reading downloads it whole, so a cached copy would serve nothing: none is
        // made (a folder, a state file and a chunk file per file, on the path of every close).
        var content = Path.Combine(mount.CacheDirectory, "content");
        Assert.Empty(Directory.Exists(content) ? Directory.EnumerateFileSystemEntries(content, "*", SearchOption.AllDirectories) : []);
        Assert.Equal(data, await mount.ReadAllAsync("small.bin"));
        Assert.Equal(data, _fixture.Bytes(bucket, "small.bin"));
    }
}
