using System.Text;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

public sealed class NamespaceTests : IClassFixture<VfsFixture>
{
    private readonly VfsFixture _fixture;

    public NamespaceTests(VfsFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Mkdir_writes_a_placeholder_and_rmdir_refuses_non_empty_directories()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var made = await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, "empty", 0b111_101_101);
        Assert.True(made.IsOk);
        Assert.Equal(NodeKind.Directory, made.Value.Kind);
        Assert.True(_fixture.Exists(bucket, "empty/"));
        Assert.Equal(VfsError.Exists, (await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, "empty", 0b111_101_101)).Error);
        Assert.Contains("empty", await mount.NamesAsync(""));
        Assert.Empty(await mount.NamesAsync("empty"));

        Assert.Equal(VfsError.None, await mount.WriteFileAsync(made.Value.NodeId, "child.txt", "c"u8.ToArray()));
        Assert.Equal(VfsError.NotEmpty, await mount.Fs.RemoveDirectoryAsync(IFileSystem.RootId, "empty"));
        Assert.Equal(VfsError.IsDirectory, await mount.Fs.UnlinkAsync(IFileSystem.RootId, "empty"));
        Assert.Equal(VfsError.NotDirectory, await mount.Fs.RemoveDirectoryAsync(made.Value.NodeId, "child.txt"));
        Assert.Equal(VfsError.None, await mount.Fs.UnlinkAsync(made.Value.NodeId, "child.txt"));
        Assert.False(_fixture.Exists(bucket, "empty/child.txt"));
        Assert.Equal(VfsError.None, await mount.Fs.RemoveDirectoryAsync(IFileSystem.RootId, "empty"));
        Assert.False(_fixture.Exists(bucket, "empty/"));
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(IFileSystem.RootId, "empty"));
    }

    [Fact]
    public async Task Rm_r_of_an_implicit_directory_removes_it_once_its_last_file_is_gone()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "implicit/a.txt", "A");
        _fixture.Put(bucket, "implicit/inner/b.txt", "B");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var dir = await mount.LookupPathAsync("implicit");
        var inner = await mount.LookupPathAsync("implicit/inner");

        // What `rm -r implicit` does: unlink the files depth-first, rmdir each directory after its contents.
        Assert.Equal(VfsError.NotEmpty, await mount.Fs.RemoveDirectoryAsync(IFileSystem.RootId, "implicit"));
        Assert.Equal(VfsError.None, await mount.Fs.UnlinkAsync(inner.NodeId, "b.txt"));
        Assert.Equal(VfsError.None, await mount.Fs.RemoveDirectoryAsync(dir.NodeId, "inner"));
        Assert.Equal(VfsError.None, await mount.Fs.UnlinkAsync(dir.NodeId, "a.txt"));
        Assert.Equal(VfsError.None, await mount.Fs.RemoveDirectoryAsync(IFileSystem.RootId, "implicit"));
        Assert.Empty(_fixture.Emulator.Store.ListObjectNames(bucket));
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(IFileSystem.RootId, "implicit"));
        Assert.Equal(VfsError.NotFound, await mount.Fs.RemoveDirectoryAsync(IFileSystem.RootId, "never-was"));
    }

    [Fact]
    public async Task Rename_moves_files_and_directories_and_honours_noreplace()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "a.txt", "A", new Dictionary<string, string> { ["goog-reserved-file-mtime"] = "1500000000" });
        _fixture.Put(bucket, "b.txt", "B");
        _fixture.Put(bucket, "dir/one", "1");
        _fixture.Put(bucket, "dir/sub/two", "2");
        _fixture.Put(bucket, "dir/", "");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");

        Assert.Equal(VfsError.Exists, await mount.Fs.RenameAsync(IFileSystem.RootId, "a.txt", IFileSystem.RootId, "b.txt", RenameFlags.NoReplace));
        Assert.Equal(VfsError.InvalidArgument, await mount.Fs.RenameAsync(IFileSystem.RootId, "a.txt", IFileSystem.RootId, "b.txt", RenameFlags.Exchange));
        var a = await mount.LookupPathAsync("a.txt");
        Assert.Equal(VfsError.None, await mount.Fs.RenameAsync(IFileSystem.RootId, "a.txt", IFileSystem.RootId, "c.txt", RenameFlags.NoReplace));
        Assert.False(_fixture.Exists(bucket, "a.txt"));
        Assert.Equal("A", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "c.txt")));
        Assert.Equal("1500000000", _fixture.Metadata(bucket, "c.txt")["goog-reserved-file-mtime"]);
        var moved = await mount.Fs.GetAttributesAsync(a.NodeId);
        Assert.Equal(a.NodeId, moved.Value.NodeId);
        Assert.Equal(1_500_000_000L * 1_000_000_000, moved.Value.ModifiedNs);

        // Replacing an existing file.
        Assert.Equal(VfsError.None, await mount.Fs.RenameAsync(IFileSystem.RootId, "c.txt", IFileSystem.RootId, "b.txt", RenameFlags.None));
        Assert.Equal("A", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "b.txt")));
        Assert.False(_fixture.Exists(bucket, "c.txt"));

        var target = await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, "target", 0b111_101_101);
        var dir = await mount.LookupPathAsync("dir");
        Assert.Equal(VfsError.None, await mount.Fs.RenameAsync(IFileSystem.RootId, "dir", target.Value.NodeId, "moved", RenameFlags.None));
        Assert.Equal(new[] { "target/", "target/moved/", "target/moved/one", "target/moved/sub/two" },
            _fixture.Emulator.Store.ListObjectNames(bucket).Where(n => n.StartsWith("target/")).Order(StringComparer.Ordinal).ToArray());
        Assert.DoesNotContain(_fixture.Emulator.Store.ListObjectNames(bucket), n => n.StartsWith("dir/"));
        Assert.Equal("2", Encoding.UTF8.GetString(await mount.ReadAllAsync("target/moved/sub/two")));
        Assert.Equal(VfsError.InvalidArgument, await mount.Fs.RenameAsync(target.Value.NodeId, "moved", dir.NodeId, "inside", RenameFlags.None));
    }

    [Fact]
    public async Task Symlinks_are_stored_as_gcsfuse_stores_them()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Emulator.Store.PutObject(bucket, "by-gcsfuse", [], new Dictionary<string, string> { ["gcsfuse_symlink_target"] = "../elsewhere" });
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var made = await mount.Fs.SymlinkAsync(IFileSystem.RootId, "link", "target/file.txt");
        Assert.True(made.IsOk);
        Assert.Equal(NodeKind.Symlink, made.Value.Kind);
        Assert.Empty(_fixture.Bytes(bucket, "link"));
        Assert.Equal("target/file.txt", _fixture.Metadata(bucket, "link")["gcsfuse_symlink_target"]);
        Assert.Equal("target/file.txt", (await mount.Fs.ReadLinkAsync(made.Value.NodeId)).Value);

        var theirs = await mount.LookupPathAsync("by-gcsfuse");
        Assert.Equal(NodeKind.Symlink, theirs.Kind);
        Assert.Equal("../elsewhere", (await mount.Fs.ReadLinkAsync(theirs.NodeId)).Value);
        var listed = await mount.ReadDirectoryAsync(IFileSystem.RootId);
        Assert.Equal(NodeKind.Symlink, listed.Single(e => e.Name == "by-gcsfuse").Attributes.Kind);
    }

    [Fact]
    public async Task A_prefix_mount_shows_only_its_subtree_and_writes_under_it()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "outside.txt", "no");
        _fixture.Put(bucket, "data/raw/inside.txt", "yes");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}/data/raw");
        Assert.Equal(new[] { "inside.txt" }, await mount.NamesAsync(""));
        Assert.Equal(VfsError.None, await mount.WriteFileAsync(IFileSystem.RootId, "new.txt", "n"u8.ToArray()));
        Assert.True(_fixture.Exists(bucket, "data/raw/new.txt"));
    }

    [Fact]
    public async Task A_project_mount_shows_every_bucket_and_a_missing_source_is_a_clear_error()
    {
        var bucket = _fixture.NewBucket("project");
        _fixture.Put(bucket, "hello.txt", "hi");
        await using var mount = await MountedBucket.CreateAsync(_fixture, "", project: "test-project");
        var names = await mount.NamesAsync("");
        Assert.Contains(bucket, names);
        Assert.Equal("hi", Encoding.UTF8.GetString(await mount.ReadAllAsync($"{bucket}/hello.txt")));

        var cache = Directory.CreateTempSubdirectory("octue-vfs-test-").FullName;
        try
        {
            var missing = await Assert.ThrowsAsync<MountSourceNotFoundException>(() => OctueFileSystem.CreateAsync(new FileSystemOptions
            {
                Source = MountSource.Parse("gs://no-such-bucket-here", null),
                CacheDirectory = cache,
            }, _fixture.Store));
            Assert.Contains("no-such-bucket-here", missing.Message);
            var manifest = await Assert.ThrowsAsync<MountSourceNotFoundException>(() => OctueFileSystem.CreateAsync(new FileSystemOptions
            {
                Source = MountSource.Parse($"gs://{bucket}/nope/manifest.json", null),
                CacheDirectory = cache,
            }, _fixture.Store));
            Assert.Contains("manifest.json", manifest.Message);
            var noBucket = await Assert.ThrowsAsync<MountSourceNotFoundException>(() => OctueFileSystem.CreateAsync(new FileSystemOptions
            {
                Source = MountSource.Parse("gs://no-such-bucket-here/manifest.json", null),
                CacheDirectory = cache,
            }, _fixture.Store));
            Assert.Contains("manifest.json", noBucket.Message);
        }
        finally
        {
            Directory.Delete(cache, true);
        }
    }

    [Fact]
    public async Task Statfs_reports_a_large_stable_capacity()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var stats = mount.Fs.GetStats();
        Assert.Equal(255u, stats.MaxNameLength);
        Assert.True(stats.FreeBlocks > 0 && stats.BlockSize == 4096);
    }
}
