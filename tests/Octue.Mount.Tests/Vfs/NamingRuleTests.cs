using System.Text;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>Every case of the naming rule (docs/naming.md): hidden, never a crash, never outside the mount.</summary>
public sealed class NamingRuleTests : IClassFixture<VfsFixture>
{
    private readonly VfsFixture _fixture;

    public NamingRuleTests(VfsFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Names_that_cannot_be_file_names_are_hidden_and_the_rest_is_shown()
    {
        var bucket = _fixture.NewBucket();
        var longSegment = new string('x', 256);
        _fixture.Put(bucket, "ok.txt", "ok");
        _fixture.Put(bucket, "a//b", "empty segment");
        _fixture.Put(bucket, "/leading", "empty first segment");
        _fixture.Put(bucket, "./dot", "dot segment");
        _fixture.Put(bucket, "../escape", "dot-dot segment");
        _fixture.Put(bucket, "dir/../../etc/passwd", "dot-dot inside");
        _fixture.Put(bucket, longSegment, "too long");
        _fixture.Put(bucket, "deep/" + longSegment + "/f", "too long directory");
        _fixture.Put(bucket, "both", "file hidden by the directory");
        _fixture.Put(bucket, "both/inner.txt", "inner");
        _fixture.Put(bucket, "placeholder/", "");
        _fixture.Put(bucket, "trailing/dots...", "fine");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");

        var root = await mount.NamesAsync("");
        Assert.Equal(new[] { "a", "both", "deep", "dir", "ok.txt", "placeholder", "trailing" }, root.Order(StringComparer.Ordinal).ToArray());

        // a//b: "a" is a directory whose only child has an empty name: hidden.
        Assert.Empty(await mount.NamesAsync("a"));
        // dir/../../etc/passwd: ".." is hidden inside "dir".
        Assert.Empty(await mount.NamesAsync("dir"));
        Assert.Empty(await mount.NamesAsync("deep"));
        Assert.Empty(await mount.NamesAsync("placeholder"));
        Assert.Equal(new[] { "dots..." }, await mount.NamesAsync("trailing"));

        // A file and a prefix with the same name: the directory wins, by listing and by lookup.
        var both = await mount.LookupPathAsync("both");
        Assert.Equal(NodeKind.Directory, both.Kind);
        Assert.Equal(new[] { "inner.txt" }, await mount.NamesAsync("both"));
        var listedBoth = (await mount.ReadDirectoryAsync(IFileSystem.RootId)).Where(e => e.Name == "both").ToArray();
        Assert.Single(listedBoth);
        Assert.Equal(NodeKind.Directory, listedBoth[0].Attributes.Kind);

        // Lookups of hidden or invalid names fail cleanly.
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(IFileSystem.RootId, ""));
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(IFileSystem.RootId, "."));
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(IFileSystem.RootId, ".."));
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(IFileSystem.RootId, "a/b"));
        Assert.Equal(VfsError.NameTooLong, await mount.TryLookupAsync(IFileSystem.RootId, longSegment));

        // Names given to the file system follow the same rule: nothing is created outside the tree.
        Assert.Equal(VfsError.InvalidArgument, (await mount.Fs.CreateAsync(IFileSystem.RootId, "..", 0b110_100_100, OpenFlags.Write)).Error);
        Assert.Equal(VfsError.InvalidArgument, (await mount.Fs.CreateAsync(IFileSystem.RootId, "x/y", 0b110_100_100, OpenFlags.Write)).Error);
        Assert.Equal(VfsError.NameTooLong, (await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, longSegment, 0b111_101_101)).Error);
        Assert.Equal(VfsError.InvalidArgument, await mount.Fs.RenameAsync(IFileSystem.RootId, "ok.txt", IFileSystem.RootId, "..", RenameFlags.None));

        // The hidden objects are untouched.
        Assert.Equal("file hidden by the directory", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "both")));
        Assert.Equal("dot-dot segment", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "../escape")));
    }

    [Fact]
    public async Task A_directory_holding_only_hidden_names_is_not_empty_for_rmdir()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "keep//hidden", "must not be lost");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        Assert.Empty(await mount.NamesAsync("keep"));
        Assert.Equal(VfsError.NotEmpty, await mount.Fs.RemoveDirectoryAsync(IFileSystem.RootId, "keep"));
        Assert.True(_fixture.Exists(bucket, "keep//hidden"));
    }
}
