using Octue.Mount.Emulator;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>chmod, chown and utimes on directories: kept on the <c>dir/</c> placeholder, or refused where none can exist.</summary>
public sealed class DirectoryAttributeTests : IClassFixture<VfsFixture>
{
    private const uint Mode700 = 0b111_000_000;
    private const uint Mode750 = 0b111_101_000;
    private const long Mtime = 1_600_000_000L * 1_000_000_000;
    private readonly VfsFixture _fixture;

    public DirectoryAttributeTests(VfsFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Chmod_chown_and_touch_on_a_directory_with_a_placeholder_are_kept_in_its_metadata_and_shown()
    {
        var bucket = _fixture.NewBucket();
        await using (var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}"))
        {
            var made = await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, "made", 0b111_101_101);
            Assert.True(made.IsOk);
            var metagenerationBefore = _fixture.Emulator.Store.TryGetObject(bucket, "made/", out var before) ? before.Metageneration : 0;

            var set = await mount.Fs.SetAttributesAsync(made.Value.NodeId, null, new SetAttributes { Mode = Mode700, ModifiedNs = Mtime, Uid = 1234 });
            Assert.True(set.IsOk, $"setattr failed with {set.Error}");
            Assert.Equal(Mode700, set.Value.Mode);
            Assert.Equal(Mtime, set.Value.ModifiedNs);
            Assert.Equal(NodeKind.Directory, set.Value.Kind);

            // A PATCH of the placeholder: same generation, one metadata change more.
            Assert.True(_fixture.Emulator.Store.TryGetObject(bucket, "made/", out var after));
            Assert.Equal(before.Generation, after.Generation);
            Assert.Equal(metagenerationBefore + 1, after.Metageneration);
            Assert.Equal("700", after.Metadata["goog-reserved-posix-mode"]);
            Assert.Equal("1600000000", after.Metadata["goog-reserved-file-mtime"]);
            Assert.Equal("1234", after.Metadata["goog-reserved-posix-uid"]);

            var attributes = await mount.Fs.GetAttributesAsync(made.Value.NodeId);
            Assert.Equal(Mode700, attributes.Value.Mode);
            Assert.Equal(Mtime, attributes.Value.ModifiedNs);
            Assert.Equal(1234u, attributes.Value.Uid);
        }

        // Another mount sees them, in the listing of the parent (no stat) and on lookup.
        await using var fresh = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        _fixture.Emulator.Requests.Reset();
        var listed = (await fresh.ReadDirectoryAsync(IFileSystem.RootId)).Single(e => e.Name == "made");
        Assert.Equal(0, _fixture.Emulator.Requests.Count(RequestKind.GetObject));
        Assert.Equal(Mode700, listed.Attributes.Mode);
        Assert.Equal(Mtime, listed.Attributes.ModifiedNs);
        var looked = await fresh.LookupPathAsync("made");
        Assert.Equal(Mode700, looked.Mode);
        Assert.Equal(Mtime, looked.ModifiedNs);
    }

    [Fact]
    public async Task Chmod_on_an_implicit_directory_creates_its_placeholder_carrying_the_change()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "implicit/deeper/file.txt", "x");
        await using (var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}"))
        {
            var dir = await mount.LookupPathAsync("implicit/deeper");
            var shownBefore = dir.ModifiedNs;
            Assert.False(_fixture.Exists(bucket, "implicit/deeper/"));

            var set = await mount.Fs.SetAttributesAsync(dir.NodeId, null, new SetAttributes { Mode = Mode750 });
            Assert.True(set.IsOk, $"setattr failed with {set.Error}");
            Assert.Equal(Mode750, set.Value.Mode);
            // Only the mode changed: the time shown before is kept with it.
            Assert.Equal(shownBefore / 1_000_000_000, set.Value.ModifiedNs / 1_000_000_000);

            Assert.Equal("750", _fixture.Metadata(bucket, "implicit/deeper/")["goog-reserved-posix-mode"]);
            Assert.Empty(_fixture.Bytes(bucket, "implicit/deeper/"));
            Assert.Equal(new[] { "file.txt" }, await mount.NamesAsync("implicit/deeper"));

            var touched = await mount.Fs.SetAttributesAsync(dir.NodeId, null, new SetAttributes { ModifiedNs = Mtime });
            Assert.True(touched.IsOk);
            Assert.Equal(Mode750, touched.Value.Mode);
            Assert.Equal("1600000000", _fixture.Metadata(bucket, "implicit/deeper/")["goog-reserved-file-mtime"]);
        }

        await using var fresh = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var again = await fresh.LookupPathAsync("implicit/deeper");
        Assert.Equal(Mode750, again.Mode);
        Assert.Equal(Mtime, again.ModifiedNs);
    }

    [Fact]
    public async Task Directories_that_no_object_can_describe_refuse_attribute_changes_with_eperm()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "a.txt", "a");
        _fixture.Put(bucket, "manifest.json", $$$"""
            {"datasets": {"listed": {"files": ["gs://{{{bucket}}}/a.txt"]}}, "id": "dab88335-d739-4899-8eec-13ffdb5921fd", "name": null}
            """);
        await using (var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}"))
        {
            Assert.Equal(VfsError.NotPermitted, (await mount.Fs.SetAttributesAsync(IFileSystem.RootId, null, new SetAttributes { Mode = Mode700 })).Error);
            Assert.Equal(VfsError.NotPermitted, (await mount.Fs.SetAttributesAsync(IFileSystem.RootId, null, new SetAttributes { ModifiedNs = Mtime })).Error);
            // Changing nothing that is kept (atime alone) is not an error.
            Assert.True((await mount.Fs.SetAttributesAsync(IFileSystem.RootId, null, new SetAttributes { AccessedNs = Mtime })).IsOk);
        }

        await using var manifest = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}/manifest.json");
        Assert.Equal(VfsError.NotPermitted, (await manifest.Fs.SetAttributesAsync(IFileSystem.RootId, null, new SetAttributes { Mode = Mode700 })).Error);
        var listed = await manifest.LookupPathAsync("listed");
        Assert.Equal(VfsError.NotPermitted, (await manifest.Fs.SetAttributesAsync(listed.NodeId, null, new SetAttributes { Mode = Mode700 })).Error);
        Assert.Equal(new[] { "a.txt", "manifest.json" }, _fixture.Emulator.Store.ListObjectNames(bucket));
    }
}
