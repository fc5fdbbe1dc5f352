using System.Text;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// Open handles of a file when this mount deletes, replaces, renames or rewrites it: an unlinked open file stays
/// readable and fstat-able, a file open for writing and unlinked takes writes and uploads nothing (not even after a
/// crash), renames keep handles reading, and handles of a file being written read what the writer staged.
/// </summary>
public sealed class OpenFileTests : IClassFixture<VfsFixture>
{
    private const int Chunk = 64 * 1024;
    private readonly VfsFixture _fixture;

    public OpenFileTests(VfsFixture fixture) => _fixture = fixture;

    private Task<MountedBucket> MountAsync(string bucket) =>
        MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", configure: o => o with { Read = o.Read with { ChunkSize = Chunk, Parallelism = 1 } });

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<byte[]> ReadAllAsync(OctueFileSystem fs, ulong handle, int expected)
    {
        var buffer = new byte[expected + 100];
        var total = 0;
        while (true)
        {
            var read = await fs.ReadAsync(handle, total, buffer.AsMemory(total, Math.Min(Chunk / 2, buffer.Length - total)));
            Assert.True(read.IsOk, $"read at {total} failed with {read.Error}");
            if (read.Value == 0)
            {
                return buffer[..total];
            }

            total += read.Value;
        }
    }

    private int LeftoverFiles(MountedBucket mount, string folder) =>
        Directory.Exists(Path.Combine(mount.CacheDirectory, folder)) ? Directory.GetFiles(Path.Combine(mount.CacheDirectory, folder)).Length : 0;

    [Fact]
    public async Task An_unlinked_open_file_stays_readable_and_fstat_shows_no_link()
    {
        var bucket = _fixture.NewBucket();
        var content = Pattern(5 * Chunk + 123, 1);
        _fixture.Emulator.Store.PutObject(bucket, "u", content);
        await using var mount = await MountAsync(bucket);
        var file = await mount.LookupPathAsync("u");
        var first = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Read);
        var second = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Read);
        // The first chunk is cached; the rest has never been read.
        Assert.Equal(100, (await mount.Fs.ReadAsync(first.Value, 0, new byte[100])).Value);

        Assert.Equal(VfsError.None, await mount.Fs.UnlinkAsync(IFileSystem.RootId, "u"));
        Assert.False(_fixture.Exists(bucket, "u"));
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(IFileSystem.RootId, "u"));

        Assert.Equal(content, await ReadAllAsync(mount.Fs, first.Value, content.Length));
        var stat = await mount.Fs.GetAttributesAsync(file.NodeId, first.Value);
        Assert.True(stat.IsOk, $"fstat failed with {stat.Error}");
        Assert.Equal((content.Length, 0u), (stat.Value.Size, stat.Value.LinkCount));
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(first.Value));
        Assert.Equal(content, await ReadAllAsync(mount.Fs, second.Value, content.Length));
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(second.Value));
        // The local copy had no name while in use and is gone with the last handle.
        Assert.Equal(0, LeftoverFiles(mount, "detached"));
    }

    [Fact]
    public async Task A_file_open_for_writing_and_unlinked_takes_writes_and_nothing_is_uploaded_even_after_a_crash()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "old", "old bytes");
        await using var mount = await MountAsync(bucket);
        var old = await mount.LookupPathAsync("old");
        var writer = await mount.Fs.OpenAsync(old.NodeId, OpenFlags.ReadWrite);
        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "new", 0b110_100_100, OpenFlags.ReadWrite);
        Assert.True((await mount.Fs.WriteAsync(created.Value.Handle, 0, "never uploaded"u8.ToArray())).IsOk);

        var late = await mount.Fs.OpenAsync(old.NodeId, OpenFlags.ReadWrite);
        Assert.Equal(VfsError.None, await mount.Fs.UnlinkAsync(IFileSystem.RootId, "old"));
        Assert.Equal(VfsError.None, await mount.Fs.UnlinkAsync(IFileSystem.RootId, "new"));
        // A writer that had not written before the unlink stages its copy after it (found by the model test, seed 5).
        Assert.True((await mount.Fs.WriteAsync(late.Value, 0, "late"u8.ToArray())).IsOk);
        // The first write to the unlinked file stages its bytes from the copy kept at unlink.
        Assert.True((await mount.Fs.WriteAsync(writer.Value, 4, "BYTES"u8.ToArray())).IsOk);
        Assert.True((await mount.Fs.WriteAsync(created.Value.Handle, 14, " at all"u8.ToArray())).IsOk);
        Assert.Equal("old BYTES", Encoding.UTF8.GetString(await ReadAllAsync(mount.Fs, writer.Value, 9)));
        Assert.Equal(VfsError.None, await mount.Fs.FsyncAsync(writer.Value));
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(writer.Value));
        Assert.Equal(VfsError.None, await mount.Fs.FlushAsync(created.Value.Handle));
        Assert.False(_fixture.Exists(bucket, "old"));
        Assert.False(_fixture.Exists(bucket, "new"));

        // A crash with the new file and the late writer still open, then a start: the unlinked files do not come
        // back, and their bytes are not kept as conflicts either: they were deleted with their files.
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.False(Directory.Exists(Path.Combine(mount.CacheDirectory, "conflicts")));
        Assert.False(_fixture.Exists(bucket, "new"));
        Assert.Empty(_fixture.Emulator.Store.ListObjectNames(bucket));
        Assert.Equal(0, LeftoverFiles(mount, "staging"));
    }

    [Fact]
    public async Task Handles_keep_reading_through_a_rename_of_their_file_and_a_rename_over_it()
    {
        var bucket = _fixture.NewBucket();
        var a = Pattern(3 * Chunk, 2);
        var b = Pattern(2 * Chunk + 7, 3);
        _fixture.Emulator.Store.PutObject(bucket, "a", a);
        _fixture.Emulator.Store.PutObject(bucket, "b", b);
        _fixture.Emulator.Store.PutObject(bucket, "dir/c", b);
        await using var mount = await MountAsync(bucket);
        var onA = await mount.Fs.OpenAsync((await mount.LookupPathAsync("a")).NodeId, OpenFlags.Read);
        var onB = await mount.Fs.OpenAsync((await mount.LookupPathAsync("b")).NodeId, OpenFlags.Read);
        var onC = await mount.Fs.OpenAsync((await mount.LookupPathAsync("dir/c")).NodeId, OpenFlags.Read);

        // a replaces b: the handle on b keeps b's bytes; the handle on a keeps reading a under its new name.
        Assert.Equal(VfsError.None, await mount.Fs.RenameAsync(IFileSystem.RootId, "a", IFileSystem.RootId, "b", RenameFlags.None));
        Assert.Equal(VfsError.None, await mount.Fs.RenameAsync(IFileSystem.RootId, "dir", IFileSystem.RootId, "moved", RenameFlags.None));
        Assert.Equal(a, await ReadAllAsync(mount.Fs, onA.Value, a.Length));
        Assert.Equal(b, await ReadAllAsync(mount.Fs, onB.Value, b.Length));
        Assert.Equal(b, await ReadAllAsync(mount.Fs, onC.Value, b.Length));
        foreach (var handle in new[] { onA.Value, onB.Value, onC.Value })
        {
            Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(handle));
        }

        Assert.Equal(a, _fixture.Bytes(bucket, "b"));
    }

    [Fact]
    public async Task Other_handles_of_a_file_being_written_read_what_the_writer_staged_and_then_its_upload()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "f", "0123456789");
        await using var mount = await MountAsync(bucket);
        var file = await mount.LookupPathAsync("f");
        var reader = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Read);
        Assert.Equal("0123456789", Encoding.UTF8.GetString(await ReadAllAsync(mount.Fs, reader.Value, 10)));
        var writer = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Write);
        Assert.True((await mount.Fs.WriteAsync(writer.Value, 8, "abcdef"u8.ToArray())).IsOk);

        // One file, one content: the size others see and the bytes they read agree.
        var size = (await mount.Fs.GetAttributesAsync(file.NodeId)).Value.Size;
        var seen = Encoding.UTF8.GetString(await ReadAllAsync(mount.Fs, reader.Value, 14));
        Assert.Equal((14L, "01234567abcdef"), (size, seen));
        var later = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Read);
        Assert.Equal("01234567abcdef", Encoding.UTF8.GetString(await ReadAllAsync(mount.Fs, later.Value, 14)));
        Assert.Equal("0123456789", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "f")));

        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(writer.Value));
        Assert.Equal("01234567abcdef", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "f")));
        // The old generation is gone from the store; the handles read the upload.
        Assert.Equal("01234567abcdef", Encoding.UTF8.GetString(await ReadAllAsync(mount.Fs, reader.Value, 14)));
        Assert.Equal("01234567abcdef", Encoding.UTF8.GetString(await ReadAllAsync(mount.Fs, later.Value, 14)));
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(reader.Value));
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(later.Value));
    }

    [Fact]
    public async Task A_new_file_renamed_while_its_creator_still_holds_it_is_listed_under_its_new_name_only()
    {
        // Found by the model test (octue-mount-model, seed 1): open(a/f3, O_CREAT); rename(a/f3, b/f2); ls a.
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "a/", "");
        _fixture.Put(bucket, "b/", "");
        await using var mount = await MountAsync(bucket);
        var a = await mount.LookupPathAsync("a");
        var b = await mount.LookupPathAsync("b");
        var created = await mount.Fs.CreateAsync(a.NodeId, "f3", 0b110_100_100, OpenFlags.ReadWrite);
        Assert.True(created.IsOk);

        Assert.Equal(VfsError.None, await mount.Fs.RenameAsync(a.NodeId, "f3", b.NodeId, "f2", RenameFlags.None));
        Assert.Empty(await mount.NamesAsync("a"));
        Assert.Equal(["f2"], await mount.NamesAsync("b"));
        Assert.True((await mount.Fs.WriteAsync(created.Value.Handle, 0, "late"u8.ToArray())).IsOk);
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(created.Value.Handle));
        Assert.Equal("late", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "b/f2")));
        Assert.False(_fixture.Exists(bucket, "a/f3"));
        Assert.Empty(await mount.NamesAsync("a"));
    }

    [Fact]
    public async Task When_the_writer_of_an_unlinked_file_closes_the_other_handles_keep_its_last_bytes()
    {
        // Found by the model test (seed 1, 122 operations): a reader and a writer share an unlinked file; the
        // writer truncates and closes; the reader must read what the file held then, not the object deleted earlier.
        var bucket = _fixture.NewBucket();
        await using var mount = await MountAsync(bucket);
        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "f", 0b110_100_100, OpenFlags.ReadWrite);
        var writer = created.Value.Handle;
        Assert.True((await mount.Fs.WriteAsync(writer, 0, "uploaded once"u8.ToArray())).IsOk);
        Assert.Equal(VfsError.None, await mount.Fs.FsyncAsync(writer));
        var reader = await mount.Fs.OpenAsync(created.Value.Attributes.NodeId, OpenFlags.Read);
        var pending = await mount.Fs.CreateAsync(IFileSystem.RootId, "p", 0b110_100_100, OpenFlags.ReadWrite);
        var pendingReader = await mount.Fs.OpenAsync(pending.Value.Attributes.NodeId, OpenFlags.Read);
        Assert.True((await mount.Fs.WriteAsync(pending.Value.Handle, 0, "never uploaded"u8.ToArray())).IsOk);

        Assert.Equal(VfsError.None, await mount.Fs.UnlinkAsync(IFileSystem.RootId, "f"));
        Assert.Equal(VfsError.None, await mount.Fs.UnlinkAsync(IFileSystem.RootId, "p"));
        Assert.True((await mount.Fs.WriteAsync(writer, 0, "UPLOADED"u8.ToArray())).IsOk);
        Assert.True((await mount.Fs.SetAttributesAsync(created.Value.Attributes.NodeId, writer, new SetAttributes { Size = 10 })).IsOk);
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(writer));
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(pending.Value.Handle));

        Assert.Equal("UPLOADED o", Encoding.UTF8.GetString(await ReadAllAsync(mount.Fs, reader.Value, 10)));
        Assert.Equal(10, (await mount.Fs.GetAttributesAsync(created.Value.Attributes.NodeId, reader.Value)).Value.Size);
        Assert.Equal("never uploaded", Encoding.UTF8.GetString(await ReadAllAsync(mount.Fs, pendingReader.Value, 14)));
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(reader.Value));
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(pendingReader.Value));
        Assert.Empty(_fixture.Emulator.Store.ListObjectNames(bucket));
        Assert.Equal(0, LeftoverFiles(mount, "staging"));
    }

    [Fact]
    public async Task Writes_after_a_rename_reach_the_new_name_at_close_and_after_a_crash()
    {
        // Found by the model test (seed 4): open(f1, O_CREAT|O_TRUNC); rename(f1, f2); write; kill -9: the recovery
        // uploaded to f1 (gone), so f2 stayed empty. Writers in a renamed folder had the same fate at close.
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "dir/inside", "0123456789");
        await using var mount = await MountAsync(bucket);
        var dir = await mount.LookupPathAsync("dir");
        var inside = await mount.Fs.OpenAsync((await mount.LookupPathAsync("dir/inside")).NodeId, OpenFlags.ReadWrite);
        Assert.True((await mount.Fs.WriteAsync(inside.Value, 0, "AB"u8.ToArray())).IsOk);
        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "f1", 0b110_100_100, OpenFlags.ReadWrite | OpenFlags.Truncate);

        Assert.Equal(VfsError.None, await mount.Fs.RenameAsync(IFileSystem.RootId, "f1", IFileSystem.RootId, "f2", RenameFlags.None));
        Assert.Equal(VfsError.None, await mount.Fs.RenameAsync(IFileSystem.RootId, "dir", IFileSystem.RootId, "moved", RenameFlags.None));
        Assert.True((await mount.Fs.WriteAsync(created.Value.Handle, 0, "written after the rename"u8.ToArray())).IsOk);
        Assert.True((await mount.Fs.WriteAsync(inside.Value, 2, "CD"u8.ToArray())).IsOk);
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(inside.Value));
        Assert.Equal("ABCD456789", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "moved/inside")));
        Assert.False(_fixture.Exists(bucket, "dir/inside"));

        // A crash with f2's writer still holding unsaved bytes: the next start uploads them to f2.
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.Equal("written after the rename", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "f2")));
        Assert.False(_fixture.Exists(bucket, "f1"));
        Assert.Equal(0, LeftoverFiles(mount, "staging"));
        Assert.False(Directory.Exists(Path.Combine(mount.CacheDirectory, "conflicts")) &&
                     Directory.EnumerateFileSystemEntries(Path.Combine(mount.CacheDirectory, "conflicts")).Any());
    }

    [Fact]
    public async Task A_folder_holding_a_file_not_uploaded_yet_is_not_empty()
    {
        // Found by the model test (seed 1): open(a/f3, O_CREAT); rmdir(a) removed the folder.
        var bucket = _fixture.NewBucket();
        await using var mount = await MountAsync(bucket);
        var a = await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, "a", 0b111_101_101);
        var b = await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, "b", 0b111_101_101);
        var created = await mount.Fs.CreateAsync(a.Value.NodeId, "f3", 0b110_100_100, OpenFlags.ReadWrite);
        Assert.True(created.IsOk);

        Assert.Equal(VfsError.NotEmpty, await mount.Fs.RemoveDirectoryAsync(IFileSystem.RootId, "a"));
        Assert.Equal(VfsError.NotEmpty, await mount.Fs.RenameAsync(IFileSystem.RootId, "b", IFileSystem.RootId, "a", RenameFlags.None));
        Assert.True(_fixture.Exists(bucket, "a/"));
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(created.Value.Handle));
        Assert.True(_fixture.Exists(bucket, "a/f3"));
    }

    [Fact]
    public async Task A_new_file_renamed_over_before_its_first_upload_does_not_come_back_after_a_crash()
    {
        // Found by the model test (seed 3, 7,486 operations): create f0 (held open, written); rename(f1, f0);
        // rename(f0, b/f1); kill -9: the recovery uploaded the replaced file's staged copy to f0.
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "f1", "the renamed file");
        await using var mount = await MountAsync(bucket);
        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "f0", 0b110_100_100, OpenFlags.ReadWrite);
        Assert.True((await mount.Fs.WriteAsync(created.Value.Handle, 0, "replaced before its upload"u8.ToArray())).IsOk);

        Assert.Equal(VfsError.None, await mount.Fs.RenameAsync(IFileSystem.RootId, "f1", IFileSystem.RootId, "f0", RenameFlags.None));
        Assert.Equal(VfsError.None, await mount.Fs.RenameAsync(IFileSystem.RootId, "f0", IFileSystem.RootId, "moved", RenameFlags.None));
        Assert.True((await mount.Fs.WriteAsync(created.Value.Handle, 0, "still going nowhere"u8.ToArray())).IsOk);
        await mount.RestartAsync(_fixture, $"gs://{bucket}");

        Assert.Equal(["moved"], _fixture.Emulator.Store.ListObjectNames(bucket));
        Assert.Equal("the renamed file", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "moved")));
        Assert.Equal(0, LeftoverFiles(mount, "staging"));
    }
}
