using System.Text;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// POSIX answers where the store has a limit or a value means something: object names over 1,024 bytes
/// (ENAMETOOLONG before anything is staged), files past 5 TiB (EFBIG), mode 0 (a mode, not "none"), a directory's
/// ctime, and the errno of RENAME_EXCHANGE.
/// </summary>
public sealed class PosixLimitTests : IClassFixture<VfsFixture>
{
    private readonly VfsFixture _fixture;

    public PosixLimitTests(VfsFixture fixture) => _fixture = fixture;

    /// <summary>Nested folders whose prefix is <paramref name="prefixBytes"/> bytes long ("aaa…/bbb…/"), made in the bucket.</summary>
    private static string DeepPrefix(int prefixBytes)
    {
        var builder = new StringBuilder();
        var letter = 'a';
        while (builder.Length < prefixBytes)
        {
            var segment = Math.Min(200, prefixBytes - builder.Length - 1);
            builder.Append(letter++, segment).Append('/');
        }

        return builder.ToString();
    }

    private static async Task<NodeAttributes> LookupPrefixAsync(MountedBucket mount, string prefix) => await mount.LookupPathAsync(prefix.TrimEnd('/'));

    [Fact]
    public async Task Names_whose_object_name_passes_1024_bytes_are_refused_with_NameTooLong_before_anything_is_staged()
    {
        var bucket = _fixture.NewBucket();
        var prefix = DeepPrefix(1000);
        Assert.Equal(1000, prefix.Length);
        _fixture.Put(bucket, prefix, "");
        _fixture.Put(bucket, prefix + "fits.txt", "x");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var dir = await LookupPrefixAsync(mount, prefix);
        var tooLong = new string('n', 30); // 1,030 bytes with the prefix: each segment is a valid file name

        var created = await mount.Fs.CreateAsync(dir.NodeId, tooLong, 0b110_100_100, OpenFlags.Write);
        Assert.Equal(VfsError.NameTooLong, created.Error);
        Assert.Equal(VfsError.NameTooLong, (await mount.Fs.MakeDirectoryAsync(dir.NodeId, tooLong, 0b111_101_101)).Error);
        // 1,024 bytes as a file fits; as a directory its placeholder "name/" would be 1,025.
        Assert.Equal(VfsError.NameTooLong, (await mount.Fs.MakeDirectoryAsync(dir.NodeId, new string('d', 24), 0b111_101_101)).Error);
        Assert.Equal(VfsError.NameTooLong, (await mount.Fs.SymlinkAsync(dir.NodeId, tooLong, "fits.txt")).Error);
        Assert.Equal(VfsError.NameTooLong, await mount.Fs.RenameAsync(dir.NodeId, "fits.txt", dir.NodeId, tooLong, RenameFlags.None));
        // A name that cannot exist is simply absent, without asking the store.
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(dir.NodeId, tooLong));

        var exactly = new string('e', 24); // 1,024 bytes: the longest name the store takes
        var made = await mount.Fs.CreateAsync(dir.NodeId, exactly, 0b110_100_100, OpenFlags.Write);
        Assert.True(made.IsOk, $"create failed with {made.Error}");
        Assert.True((await mount.Fs.WriteAsync(made.Value.Handle, 0, "ok"u8.ToArray())).IsOk);
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(made.Value.Handle));
        Assert.Equal("ok", Encoding.UTF8.GetString(_fixture.Bytes(bucket, prefix + exactly)));
        Assert.True((await mount.Fs.LookupAsync(dir.NodeId, exactly)).IsOk);

        Assert.Equal("x", Encoding.UTF8.GetString(_fixture.Bytes(bucket, prefix + "fits.txt")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(mount.CacheDirectory, "staging")));
    }

    [Fact]
    public async Task A_directory_rename_that_would_make_any_object_name_too_long_copies_nothing()
    {
        var bucket = _fixture.NewBucket();
        var prefix = DeepPrefix(800);
        _fixture.Put(bucket, prefix + "short/" + new string('f', 150), "deep");
        _fixture.Put(bucket, prefix + "short/x", "shallow");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var dir = await LookupPrefixAsync(mount, prefix);
        await mount.LookupPathAsync(prefix + "short");

        // "longer-name/" + 150 bytes + 800 = 962 fits; a 100-byte folder name makes the deep object 1,051 bytes.
        Assert.Equal(VfsError.NameTooLong, await mount.Fs.RenameAsync(dir.NodeId, "short", dir.NodeId, new string('l', 100), RenameFlags.None));
        Assert.Equal(["short/" + new string('f', 150), "short/x"],
            _fixture.Emulator.Store.ListObjectNames(bucket).Select(n => n[prefix.Length..]).Order(StringComparer.Ordinal));

        Assert.Equal(VfsError.None, await mount.Fs.RenameAsync(dir.NodeId, "short", dir.NodeId, "longer-name", RenameFlags.None));
        Assert.Equal("deep", Encoding.UTF8.GetString(_fixture.Bytes(bucket, prefix + "longer-name/" + new string('f', 150))));
    }

    [Fact]
    public async Task Mode_0_at_create_and_mkdir_is_kept_as_0()
    {
        var bucket = _fixture.NewBucket();
        await using (var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}"))
        {
            var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "m0", 0, OpenFlags.Write);
            Assert.True(created.IsOk);
            Assert.Equal(0u, created.Value.Attributes.Mode);
            Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(created.Value.Handle));
            var made = await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, "d0", 0);
            Assert.True(made.IsOk);
            Assert.Equal(0u, made.Value.Mode);
        }

        Assert.Equal("0", _fixture.Metadata(bucket, "m0")["goog-reserved-posix-mode"]);
        Assert.Equal("0", _fixture.Metadata(bucket, "d0/")["goog-reserved-posix-mode"]);
        await using var again = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        Assert.Equal(0u, (await again.LookupPathAsync("m0")).Mode);
        Assert.Equal(0u, (await again.LookupPathAsync("d0")).Mode);
    }

    [Fact]
    public async Task Growing_a_file_past_5_TiB_gives_FileTooBig_and_changes_nothing()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "f", "12345");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("f");

        var truncated = await mount.Fs.SetAttributesAsync(file.NodeId, null, new SetAttributes { Size = 999_999_999_999_999 });
        Assert.Equal(VfsError.FileTooBig, truncated.Error);
        Assert.Equal(VfsError.FileTooBig, (await mount.Fs.SetAttributesAsync(file.NodeId, null, new SetAttributes { Size = (5L << 40) + 1 })).Error);

        var opened = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.ReadWrite);
        Assert.True(opened.IsOk);
        Assert.Equal(VfsError.FileTooBig, (await mount.Fs.WriteAsync(opened.Value, (5L << 40) - 1, "ab"u8.ToArray())).Error);
        Assert.Equal(VfsError.FileTooBig, (await mount.Fs.SetAttributesAsync(file.NodeId, opened.Value, new SetAttributes { Size = long.MaxValue })).Error);
        Assert.Equal(5, (await mount.Fs.GetAttributesAsync(file.NodeId, opened.Value)).Value.Size);
        // The handle missed a write: nothing of it is uploaded, and close says why.
        Assert.Equal(VfsError.FileTooBig, await mount.Fs.ReleaseAsync(opened.Value));
        Assert.Equal("12345", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "f")));
    }

    [Fact]
    public async Task Chmod_of_a_directory_moves_its_ctime_and_not_its_mtime()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var made = await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, "d", 0b111_101_101);
        Assert.True(made.IsOk);
        var touched = await mount.Fs.SetAttributesAsync(made.Value.NodeId, null, new SetAttributes { ModifiedNs = 1_500_000_000L * 1_000_000_000 });
        Assert.True(touched.IsOk);
        var before = touched.Value;
        await Task.Delay(20);

        var changed = await mount.Fs.SetAttributesAsync(made.Value.NodeId, null, new SetAttributes { Mode = 0b111_000_000 });
        Assert.True(changed.IsOk);
        Assert.Equal(1_500_000_000L * 1_000_000_000, changed.Value.ModifiedNs);
        Assert.True(changed.Value.ChangedNs > before.ChangedNs, $"ctime {changed.Value.ChangedNs} after chmod, {before.ChangedNs} before");
        Assert.True(before.ChangedNs > before.ModifiedNs, "touch -d sets the mtime in the past; the ctime is when that happened");
        var stat = await mount.Fs.GetAttributesAsync(made.Value.NodeId);
        Assert.Equal(changed.Value.ChangedNs, stat.Value.ChangedNs);
    }
}
