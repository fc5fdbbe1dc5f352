using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// What another user creates (on an allow_other mount) belongs to that user, kept in object metadata as chown keeps
/// an owner; what the mount's owner creates carries no owner keys and shows the mount's uid/gid.
/// </summary>
public sealed class OwnershipTests : IClassFixture<VfsFixture>
{
    private const string UidKey = "goog-reserved-posix-uid";
    private const string GidKey = "goog-reserved-posix-gid";
    private static readonly FileOwner Nobody = new(65534, 65534);
    private readonly VfsFixture _fixture;

    public OwnershipTests(VfsFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Files_folders_and_links_made_by_another_user_belong_to_that_user_across_a_remount()
    {
        var bucket = _fixture.NewBucket();
        await using (var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}"))
        {
            var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "f", 0b110_100_100, OpenFlags.Write, Nobody);
            Assert.True(created.IsOk, $"create failed with {created.Error}");
            Assert.Equal((65534u, 65534u), (created.Value.Attributes.Uid, created.Value.Attributes.Gid));
            // Before the upload too: the staged copy's attributes are the creator's.
            var staged = await mount.Fs.GetAttributesAsync(created.Value.Attributes.NodeId);
            Assert.Equal((65534u, 65534u), (staged.Value.Uid, staged.Value.Gid));
            Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(created.Value.Handle));

            var made = await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, "d", 0b111_101_101, Nobody);
            Assert.True(made.IsOk);
            Assert.Equal((65534u, 65534u), (made.Value.Uid, made.Value.Gid));
            var link = await mount.Fs.SymlinkAsync(IFileSystem.RootId, "l", "f", Nobody);
            Assert.True(link.IsOk);
            Assert.Equal((65534u, 65534u), (link.Value.Uid, link.Value.Gid));
            var half = await mount.Fs.CreateAsync(IFileSystem.RootId, "half", 0b110_100_100, OpenFlags.Write, new FileOwner(0, 4242));
            Assert.Equal((0u, 4242u), (half.Value.Attributes.Uid, half.Value.Attributes.Gid));
            Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(half.Value.Handle));
        }

        foreach (var name in new[] { "f", "d/", "l" })
        {
            var metadata = _fixture.Metadata(bucket, name);
            Assert.Equal("65534", metadata[UidKey]);
            Assert.Equal("65534", metadata[GidKey]);
        }

        // Only what differs from the mount's owner is kept.
        Assert.False(_fixture.Metadata(bucket, "half").ContainsKey(UidKey));
        Assert.Equal("4242", _fixture.Metadata(bucket, "half")[GidKey]);

        await using var again = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        foreach (var path in new[] { "f", "d", "l" })
        {
            var attributes = await again.LookupPathAsync(path);
            Assert.Equal((65534u, 65534u), (attributes.Uid, attributes.Gid));
        }
    }

    [Fact]
    public async Task What_the_mount_owner_creates_carries_no_owner_keys()
    {
        var bucket = _fixture.NewBucket();
        await using (var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}"))
        {
            Assert.Equal(VfsError.None, await mount.WriteFileAsync(IFileSystem.RootId, "mine", "x"u8.ToArray()));
            var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "same-ids", 0b110_100_100, OpenFlags.Write, new FileOwner(0, 0));
            Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(created.Value.Handle));
            Assert.True((await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, "d", 0b111_101_101)).IsOk);
        }

        foreach (var name in new[] { "mine", "same-ids", "d/" })
        {
            Assert.DoesNotContain(UidKey, _fixture.Metadata(bucket, name).Keys);
            Assert.DoesNotContain(GidKey, _fixture.Metadata(bucket, name).Keys);
        }
    }

    [Fact]
    public async Task A_chmod_and_chown_made_while_another_handle_is_open_for_writing_survive_its_next_write()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "f", "base\n");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("f");
        var writer = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Write | OpenFlags.Append);
        Assert.True(writer.IsOk);

        // Another process: chmod and chown by path while the writer has not written yet.
        var changed = await mount.Fs.SetAttributesAsync(file.NodeId, null, new SetAttributes { Mode = 0b110_000_000, Uid = 1234, Gid = 1234 });
        Assert.True(changed.IsOk, $"setattr failed with {changed.Error}");
        Assert.Equal(VfsError.None, await mount.Fs.SetXattrAsync(file.NodeId, "user.gcs.meta.colour", "blue"u8.ToArray(), XattrFlags.None));

        Assert.True((await mount.Fs.WriteAsync(writer.Value, 0, "more\n"u8.ToArray())).IsOk);
        var seen = await mount.Fs.GetAttributesAsync(file.NodeId);
        Assert.Equal((0b110_000_000u, 1234u, 1234u), (seen.Value.Mode, seen.Value.Uid, seen.Value.Gid));
        Assert.Equal(10, seen.Value.Size);
        Assert.Equal("blue", System.Text.Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync(file.NodeId, "user.gcs.meta.colour")).Value));

        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(writer.Value));
        var metadata = _fixture.Metadata(bucket, "f");
        Assert.Equal(("600", "1234", "1234", "blue"), (metadata["goog-reserved-posix-mode"], metadata[UidKey], metadata[GidKey], metadata["colour"]));
        Assert.Equal("base\nmore\n", System.Text.Encoding.UTF8.GetString(_fixture.Bytes(bucket, "f")));
    }
}
