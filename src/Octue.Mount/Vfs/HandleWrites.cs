using Octue.Mount.Caching;

namespace Octue.Mount.Vfs;

/// <summary>Where a handle's changes stand (<see cref="HandleWrites"/>).</summary>
internal enum WriteStage
{
    /// <summary>No staged copy: reads come from the object, and the handle has nothing to upload.</summary>
    Clean,

    /// <summary>A staged copy equal to the object: made for a first change, or uploaded since. It serves reads and takes writes.</summary>
    Staged,

    /// <summary>The staged copy differs from the object (its sidecar says so on disk): the next flush, fsync or close uploads it.</summary>
    Dirty,

    /// <summary>The staged copy is being uploaded, with the handle's gate held.</summary>
    Uploading,

    /// <summary>
    /// The changes can no longer be saved: the upload lost a race (the bytes went to conflicts/), was refused for good,
    /// or the staged copy missed a write (it was discarded). Every later write, flush, fsync and close returns
    /// <see cref="HandleWrites.Failure"/>, and nothing of the handle is uploaded: the object keeps the bytes it had.
    /// </summary>
    Conflicted,
}

/// <summary>
/// The write side of an open file as a state machine, with each change of state a method here:
/// <list type="bullet">
/// <item>clean → staged (<see cref="StageCopy"/>: the copy made for the first change, or for a new file);</item>
/// <item>staged → dirty and back (the copy's sidecar: a change is recorded before its first byte, a confirmed upload clears it);</item>
/// <item>dirty → uploading (<see cref="BeginUpload"/>) → staged (<see cref="EndUpload"/>, uploaded) or back to dirty (a
/// failure that may pass) or conflicted (<see cref="Conflict"/>);</item>
/// <item>staged or dirty → clean (<see cref="Drop"/>: the copy is done with, at release or when an open fails);</item>
/// <item>any → conflicted (<see cref="Conflict"/>), which is final: the first reason stays.</item>
/// </list>
/// Not thread-safe: the handle's gate serialises the changes; readers of <see cref="Staged"/> outside it see one state or the next.
/// </summary>
internal sealed class HandleWrites
{
    private StagedFile? _staged;
    private bool _uploading;

    /// <summary>The staged copy (null when clean or conflicted).</summary>
    public StagedFile? Staged => Volatile.Read(ref _staged);

    /// <summary>Why the changes can no longer be saved (None while they can).</summary>
    public VfsError Failure { get; private set; }

    public WriteStage Stage =>
        Failure != VfsError.None ? WriteStage.Conflicted
        : Staged is not { } staged ? WriteStage.Clean
        : _uploading ? WriteStage.Uploading
        : staged.Dirty ? WriteStage.Dirty
        : WriteStage.Staged;

    /// <summary>Clean → staged: <paramref name="staged"/> now serves the handle's reads and takes its writes.</summary>
    public void StageCopy(StagedFile staged)
    {
        Require(WriteStage.Clean, nameof(StageCopy));
        Volatile.Write(ref _staged, staged);
    }

    /// <summary>Dirty → uploading: returns the copy to upload.</summary>
    public StagedFile BeginUpload()
    {
        Require(WriteStage.Dirty, nameof(BeginUpload));
        _uploading = true;
        return _staged!;
    }

    /// <summary>
    /// Uploading → staged when the upload was confirmed (the copy's sidecar is clean now), or back to dirty when it
    /// failed for a reason that may pass (the copy still differs from the object). Nothing changes when a
    /// <see cref="Conflict"/> ended the upload.
    /// </summary>
    public void EndUpload() => _uploading = false;

    /// <summary>
    /// Any → conflicted, for good: <paramref name="error"/> is returned by everything the handle does from now on (the
    /// first reason stays when there are several). Returns the staged copy the handle no longer holds (null if none),
    /// for the caller to discard or keep.
    /// </summary>
    public StagedFile? Conflict(VfsError error)
    {
        if (error == VfsError.None)
        {
            throw new ArgumentException("A conflict needs a reason.", nameof(error));
        }

        if (Failure == VfsError.None)
        {
            Failure = error;
        }

        _uploading = false;
        return Interlocked.Exchange(ref _staged, null);
    }

    /// <summary>Staged or dirty → clean: returns the copy the handle no longer holds (null if none), for the caller to delete or keep.</summary>
    public StagedFile? Drop()
    {
        if (_uploading)
        {
            throw new InvalidOperationException($"A staged copy cannot be dropped while it is uploaded ({Stage}).");
        }

        return Interlocked.Exchange(ref _staged, null);
    }

    private void Require(WriteStage expected, string change)
    {
        var stage = Stage;
        if (stage != expected)
        {
            throw new InvalidOperationException($"{change} needs a {expected} handle; this one is {stage}.");
        }
    }
}
