using Octue.Mount.Caching;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>The write side of a handle as a state machine: the changes it allows, and the ones it refuses.</summary>
public sealed class HandleWritesTests : IDisposable
{
    private readonly string _cache = Directory.CreateTempSubdirectory("octue-handle-writes-test-").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    private async Task<StagedFile> NewCopyAsync(long baseGeneration) =>
        await new StagingArea(_cache).CreateAsync("bucket-1", "a.txt", baseGeneration, null, new Dictionary<string, string>(), CancellationToken.None);

    [Fact]
    public async Task A_handle_goes_from_clean_to_staged_dirty_uploading_and_staged_again_and_is_clean_once_its_copy_is_dropped()
    {
        var writes = new HandleWrites();
        Assert.Equal(WriteStage.Clean, writes.Stage);

        // A copy of an existing object is equal to it until its first change is recorded.
        using var copy = await NewCopyAsync(baseGeneration: 7);
        writes.StageCopy(copy);
        Assert.Equal(WriteStage.Staged, writes.Stage);
        Assert.Same(copy, writes.Staged);

        await copy.MarkBytesChangedAsync(CancellationToken.None);
        Assert.Equal(WriteStage.Dirty, writes.Stage);

        Assert.Same(copy, writes.BeginUpload());
        Assert.Equal(WriteStage.Uploading, writes.Stage);

        // A failure that may pass leaves the copy to upload again.
        writes.EndUpload();
        Assert.Equal(WriteStage.Dirty, writes.Stage);

        writes.BeginUpload();
        await copy.MarkUploadedAsync(8, CancellationToken.None);
        writes.EndUpload();
        Assert.Equal(WriteStage.Staged, writes.Stage);

        Assert.Same(copy, writes.Drop());
        Assert.Equal(WriteStage.Clean, writes.Stage);
        Assert.Null(writes.Staged);
        Assert.Equal(VfsError.None, writes.Failure);
    }

    [Fact]
    public async Task A_conflict_is_final_keeps_its_first_reason_and_hands_back_the_copy()
    {
        var writes = new HandleWrites();
        using var copy = await NewCopyAsync(baseGeneration: 0);
        writes.StageCopy(copy);
        Assert.Equal(WriteStage.Dirty, writes.Stage); // a new file's copy differs from the (absent) object from the start
        writes.BeginUpload();

        Assert.Same(copy, writes.Conflict(VfsError.Stale));
        writes.EndUpload();
        Assert.Equal(WriteStage.Conflicted, writes.Stage);
        Assert.Null(writes.Staged);

        Assert.Null(writes.Conflict(VfsError.NoSpace));
        Assert.Equal(VfsError.Stale, writes.Failure);
        using var another = await NewCopyAsync(baseGeneration: 0);
        Assert.Throws<InvalidOperationException>(() => writes.StageCopy(another));
        Assert.Throws<InvalidOperationException>(() => writes.BeginUpload());
        Assert.Equal(WriteStage.Conflicted, writes.Stage);
    }

    [Fact]
    public async Task Changes_out_of_order_are_refused_and_change_nothing()
    {
        var writes = new HandleWrites();
        Assert.Throws<InvalidOperationException>(() => writes.BeginUpload());
        Assert.Throws<ArgumentException>(() => writes.Conflict(VfsError.None));
        Assert.Null(writes.Drop());
        Assert.Equal(WriteStage.Clean, writes.Stage);

        using var copy = await NewCopyAsync(baseGeneration: 7);
        writes.StageCopy(copy);
        using var second = await NewCopyAsync(baseGeneration: 7);
        Assert.Throws<InvalidOperationException>(() => writes.StageCopy(second));
        Assert.Throws<InvalidOperationException>(() => writes.BeginUpload()); // staged, not dirty: nothing to upload
        Assert.Same(copy, writes.Staged);

        await copy.MarkBytesChangedAsync(CancellationToken.None);
        writes.BeginUpload();
        Assert.Throws<InvalidOperationException>(() => writes.Drop()); // not while its bytes are being sent
        Assert.Equal(WriteStage.Uploading, writes.Stage);
    }
}
