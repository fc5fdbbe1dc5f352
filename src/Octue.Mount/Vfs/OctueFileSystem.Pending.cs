using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// Files whose upload failed for now: shown under their names, retried when used, dropped when removed.
public sealed partial class OctueFileSystem
{
    /// <summary>
    /// Keeps a staged copy whose upload failed for a reason that may pass: it stays in staging/ (the next start
    /// retries it) and under its name here, so the file does not vanish while its bytes wait. An older pending copy of
    /// the same object is superseded: it goes to conflicts/, as a lost race would.
    /// </summary>
    private void KeepPending(StagedFile staged, long? uploadModifiedNs, long modifiedNs, VfsError error)
    {
        var pending = new PendingUpload(staged, uploadModifiedNs, modifiedNs);
        if (_pending.Add(pending) is { } older)
        {
            SupersedePending(older);
        }

        _metadata.InvalidateObject(pending.Bucket, pending.Name);
        _logger.LogError("{Uri} could not be uploaded ({Error}); its bytes stay in {Path}, the file stays listed, and the upload is retried when it is next opened or changed and at the next start (rm discards it)",
            pending.Uri, error, staged.DataPath);
    }

    private void SupersedePending(PendingUpload older)
    {
        try
        {
            var kept = _staging.KeepConflict(older.Staged, "superseded by a later copy of the same file that could not be uploaded either");
            _logger.LogWarning("An older unsaved copy of {Uri} is kept in {Path}", older.Uri, kept);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            older.Staged.Dispose();
            _logger.LogError(e, "An older unsaved copy of {Uri} stays in {Path}", older.Uri, older.Staged.DataPath);
        }
    }

    /// <summary>The pending upload of a file node, if it has one.</summary>
    private PendingUpload? PendingOf(Node node) => _pending.Of(node);

    /// <summary>The pending upload of the name <paramref name="name"/> in a prefix directory, if it has one.</summary>
    private PendingUpload? PendingOf(Node dir, string name) => _pending.Of(dir, name);

    /// <summary>
    /// Before a file with a pending upload is opened or changed, its upload is tried again. None when nothing is
    /// pending any more (uploaded now, or kept in conflicts/ because the object changed or GCS refuses it for good:
    /// the caller then sees the object as it is); else the error the store still gives, for the caller to return.
    /// </summary>
    private async ValueTask<VfsError> RetryPendingUploadAsync(PendingUpload? pending, CancellationToken ct)
    {
        if (pending is null)
        {
            return VfsError.None;
        }

        await pending.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!_pending.Contains(pending))
            {
                return VfsError.None;
            }

            var result = await _uploader.UploadAsync(pending.Staged, pending.UploadModifiedNs, afterCrash: false, ct).ConfigureAwait(false);
            _metadata.InvalidateObject(pending.Bucket, pending.Name);
            _metadata.InvalidateListing(pending.Bucket, ObjectNames.ParentPrefix(pending.Name));
            switch (result.Outcome)
            {
                case StagedUploadOutcome.Uploaded:
                    _pending.Remove(pending);
                    pending.Staged.Delete();
                    _metadata.PutStat(pending.Bucket, pending.Name, result.Object);
                    _logger.LogInformation("{Uri} is uploaded at last (generation {Generation})", pending.Uri, result.Object!.Generation);
                    return VfsError.None;
                case StagedUploadOutcome.LostRace or StagedUploadOutcome.Refused:
                    _pending.Remove(pending);
                    return VfsError.None;
                default:
                    return result.Error;
            }
        }
        finally
        {
            pending.Gate.Release();
        }
    }

    /// <summary>Retries every pending upload under a prefix (before a directory is renamed); the first error stops it.</summary>
    private async ValueTask<VfsError> RetryPendingUploadsUnderAsync(string bucket, string prefix, CancellationToken ct)
    {
        foreach (var pending in _pending.Under(bucket, prefix, directChildrenOnly: false))
        {
            var error = await RetryPendingUploadAsync(pending, ct).ConfigureAwait(false);
            if (error != VfsError.None)
            {
                return error;
            }
        }

        return VfsError.None;
    }

    /// <summary>
    /// The name of a pending upload was removed or replaced (unlink, a rename over it): its bytes are dropped, from
    /// staging/ and so from every later start, as a removed local file's are. True when there was one.
    /// </summary>
    private async ValueTask<bool> DropPendingUploadAsync(PendingUpload? pending, string why)
    {
        if (pending is null)
        {
            return false;
        }

        await pending.Gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            return DropPendingUploadHeld(pending, why);
        }
        finally
        {
            pending.Gate.Release();
        }
    }

    /// <summary><see cref="DropPendingUploadAsync"/> with the pending upload's gate already held.</summary>
    private bool DropPendingUploadHeld(PendingUpload? pending, string why)
    {
        if (pending is null || !_pending.Remove(pending))
        {
            return false;
        }

        DropStaged(pending.Staged, pending.Uri, why);
        _metadata.InvalidateObject(pending.Bucket, pending.Name);
        return true;
    }

    /// <summary>Deletes a staged copy nobody wants any more, so no later start uploads it.</summary>
    private void DropStaged(StagedFile staged, string uri, string why)
    {
        if (staged.Delete())
        {
            _logger.LogInformation("{Uri} was {Why}: its unsaved copy is dropped", uri, why);
        }
        else
        {
            _logger.LogCritical("{Uri} was {Why}, but its unsaved copy could not be deleted: delete {Path} and {Sidecar} before the next mount, which would upload them",
                uri, why, staged.DataPath, staged.SidecarPath);
        }
    }

    /// <summary>Entries for pending uploads directly in a prefix directory that the listing lacks.</summary>
    private void AddPendingEntries(Node dir, DirectoryListing listing, ref List<ListingEntry>? added)
    {
        if (_pending.Count == 0 || dir.Role != DirectoryRole.Prefix)
        {
            return;
        }

        foreach (var pending in _pending.Under(dir.Bucket, dir.ObjectName, directChildrenOnly: true))
        {
            var name = pending.Name[dir.ObjectName.Length..];
            if (FileNameErrors.Check(name) == VfsError.None && !listing.TryGet(name, out _) && (added is null || !added.Exists(e => e.Name == name)))
            {
                (added ??= new List<ListingEntry>()).Add(new ListingEntry(name, NodeKind.File, null, pending.Bucket, pending.Name));
            }
        }
    }
}
