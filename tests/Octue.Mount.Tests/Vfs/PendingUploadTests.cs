using System.Text;
using Octue.Mount.Emulator;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// A file whose upload failed for a reason that may pass (the store answering 503 through its retries) stays under
/// its name with its unsaved bytes until an upload succeeds: opening it retries the upload; rm, a rename over it or
/// the removal of its folder decide its fate, and a removed file never comes back at the next start.
/// </summary>
public sealed class PendingUploadTests : IClassFixture<VfsFixture>, IDisposable
{
    private readonly VfsFixture _fixture;

    public PendingUploadTests(VfsFixture fixture) => _fixture = fixture;

    public void Dispose() => _fixture.Emulator.Faults.Clear();

    private long Uploads => _fixture.Emulator.Requests.Count(RequestKind.Upload);

    private static string[] StagingFiles(string cache) => Directory.GetFiles(Path.Combine(cache, "staging"));

    private static string[] Kept(string cache)
    {
        var folder = Path.Combine(cache, "conflicts");
        return Directory.Exists(folder) ? Directory.GetFiles(folder, "*", SearchOption.AllDirectories) : [];
    }

    private void FailUploads(string bucket) => _fixture.Emulator.Faults.Add(new FaultRule
    {
        Kind = FaultKind.Status, StatusCode = 503, Bucket = bucket, RequestKind = RequestKind.Upload, Times = 1000,
    });

    /// <summary>Creates <paramref name="name"/> in <paramref name="parent"/> with <paramref name="text"/>; its close fails with EAGAIN.</summary>
    private async Task CreateFailingAsync(MountedBucket mount, ulong parent, string name, string text)
    {
        var created = await mount.Fs.CreateAsync(parent, name, 0b110_100_100, OpenFlags.Write);
        Assert.True(created.IsOk, created.Error.ToString());
        await mount.Fs.WriteAsync(created.Value.Handle, 0, Encoding.UTF8.GetBytes(text));
        FailUploads(mount.Bucket);
        Assert.Equal(VfsError.TryAgain, await mount.Fs.ReleaseAsync(created.Value.Handle));
    }

    [Fact]
    public async Task A_new_file_whose_upload_failed_stays_listed_and_rm_drops_it_for_good()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        await CreateFailingAsync(mount, IFileSystem.RootId, "draft.txt", "draft");

        var shown = await mount.Fs.LookupAsync(IFileSystem.RootId, "draft.txt");
        Assert.True(shown.IsOk, shown.Error.ToString());
        Assert.Equal(5, shown.Value.Size);
        Assert.Equal(5, (await mount.Fs.GetAttributesAsync(shown.Value.NodeId)).Value.Size);
        Assert.Contains("draft.txt", await mount.NamesAsync(""));

        Assert.Equal(VfsError.None, await mount.Fs.UnlinkAsync(IFileSystem.RootId, "draft.txt"));
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(IFileSystem.RootId, "draft.txt"));
        Assert.DoesNotContain("draft.txt", await mount.NamesAsync(""));
        Assert.Empty(StagingFiles(mount.CacheDirectory));

        _fixture.Emulator.Faults.Clear();
        var uploads = Uploads;
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.False(_fixture.Exists(bucket, "draft.txt"));
        Assert.Equal(uploads, Uploads);
    }

    [Fact]
    public async Task A_failed_edit_of_an_existing_file_shows_the_unsaved_size_and_rm_removes_the_file_and_the_copy()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "doc.txt", "v1");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("doc.txt");
        var handle = (await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Write | OpenFlags.Truncate)).Value;
        await mount.Fs.WriteAsync(handle, 0, "v2, longer"u8.ToArray());
        FailUploads(bucket);
        Assert.Equal(VfsError.TryAgain, await mount.Fs.ReleaseAsync(handle));

        Assert.Equal(10, (await mount.Fs.GetAttributesAsync(file.NodeId)).Value.Size);
        Assert.Equal(VfsError.None, await mount.Fs.UnlinkAsync(IFileSystem.RootId, "doc.txt"));

        Assert.False(_fixture.Exists(bucket, "doc.txt"));
        Assert.Empty(StagingFiles(mount.CacheDirectory));
        _fixture.Emulator.Faults.Clear();
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.False(_fixture.Exists(bucket, "doc.txt"));
        Assert.Empty(Kept(mount.CacheDirectory));
    }

    [Fact]
    public async Task Opening_a_file_whose_upload_failed_retries_the_upload_first()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        await CreateFailingAsync(mount, IFileSystem.RootId, "later.txt", "saved at last");
        var file = await mount.LookupPathAsync("later.txt");

        // While the store still fails, so does the open, with the store's error.
        Assert.Equal(VfsError.TryAgain, (await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Read)).Error);

        _fixture.Emulator.Faults.Clear();
        Assert.Equal("saved at last", Encoding.UTF8.GetString(await mount.ReadAllAsync("later.txt")));
        Assert.Equal("saved at last", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "later.txt")));
        Assert.Empty(StagingFiles(mount.CacheDirectory));
    }

    [Fact]
    public async Task A_rename_over_a_file_whose_upload_failed_replaces_it_and_drops_its_copy()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "source.txt", "renamed over it");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        await CreateFailingAsync(mount, IFileSystem.RootId, "target.txt", "unsaved");
        await mount.LookupPathAsync("source.txt");

        Assert.Equal(VfsError.Exists, await mount.Fs.RenameAsync(IFileSystem.RootId, "source.txt", IFileSystem.RootId, "target.txt", RenameFlags.NoReplace));
        Assert.Equal(VfsError.None, await mount.Fs.RenameAsync(IFileSystem.RootId, "source.txt", IFileSystem.RootId, "target.txt", RenameFlags.None));

        Assert.Equal("renamed over it", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "target.txt")));
        Assert.Empty(StagingFiles(mount.CacheDirectory));
        _fixture.Emulator.Faults.Clear();
        var uploads = Uploads;
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.Equal(uploads, Uploads);
        Assert.Equal("renamed over it", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "target.txt")));
        Assert.Empty(Kept(mount.CacheDirectory));
    }

    [Fact]
    public async Task A_folder_holding_a_file_that_exists_only_in_a_staged_copy_cannot_be_removed()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var dir = await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, "dir", 0b111_101_101);
        Assert.True(dir.IsOk);
        var busy = await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, "busy", 0b111_101_101);
        var open = await mount.Fs.CreateAsync(busy.Value.NodeId, "being-written.txt", 0b110_100_100, OpenFlags.Write);
        await CreateFailingAsync(mount, dir.Value.NodeId, "a.txt", "unsaved");

        Assert.Equal(VfsError.NotEmpty, await mount.Fs.RemoveDirectoryAsync(IFileSystem.RootId, "dir"));
        Assert.Equal(VfsError.NotEmpty, await mount.Fs.RemoveDirectoryAsync(IFileSystem.RootId, "busy"));

        // rm -r: the file first, then the folder; nothing comes back at the next start.
        Assert.Equal(VfsError.None, await mount.Fs.UnlinkAsync(dir.Value.NodeId, "a.txt"));
        Assert.Equal(VfsError.None, await mount.Fs.RemoveDirectoryAsync(IFileSystem.RootId, "dir"));
        _fixture.Emulator.Faults.Clear();
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(open.Value.Handle));
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.False(_fixture.Exists(bucket, "dir/a.txt"));
        Assert.False(_fixture.Exists(bucket, "dir/"));
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(IFileSystem.RootId, "dir"));
    }

    [Fact]
    public async Task Renaming_a_folder_holding_a_file_whose_upload_failed_saves_it_first_or_fails()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var dir = await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, "old", 0b111_101_101);
        await CreateFailingAsync(mount, dir.Value.NodeId, "a.txt", "moves with its folder");

        // While the store still refuses it, the rename fails rather than leave the file behind under the old name.
        Assert.Equal(VfsError.TryAgain, await mount.Fs.RenameAsync(IFileSystem.RootId, "old", IFileSystem.RootId, "new", RenameFlags.None));

        _fixture.Emulator.Faults.Clear();
        Assert.Equal(VfsError.None, await mount.Fs.RenameAsync(IFileSystem.RootId, "old", IFileSystem.RootId, "new", RenameFlags.None));
        Assert.Equal("moves with its folder", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "new/a.txt")));
        Assert.Empty(StagingFiles(mount.CacheDirectory));
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.False(_fixture.Exists(bucket, "old/a.txt"));
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(IFileSystem.RootId, "old"));
    }

    [Fact]
    public async Task A_copy_the_store_cannot_take_at_start_is_listed_and_rm_drops_it()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "crashed.txt", 0b110_100_100, OpenFlags.Write);
        await mount.Fs.WriteAsync(created.Value.Handle, 0, "left by a crash"u8.ToArray());
        FailUploads(bucket);
        using var counters = new FileSystemCounters();

        var fs = await mount.RestartAsync(_fixture, $"gs://{bucket}");

        Assert.Equal(1, counters.Get(fs, "octue.mount.vfs.recovered/failed"));
        var shown = await fs.LookupAsync(IFileSystem.RootId, "crashed.txt");
        Assert.True(shown.IsOk, shown.Error.ToString());
        Assert.Equal(15, shown.Value.Size);
        Assert.Equal(VfsError.None, await fs.UnlinkAsync(IFileSystem.RootId, "crashed.txt"));
        Assert.Empty(StagingFiles(mount.CacheDirectory));
        _fixture.Emulator.Faults.Clear();
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.False(_fixture.Exists(bucket, "crashed.txt"));
    }
}
