using Microsoft.Extensions.Logging;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// rename(2) of a file (a server-side copy and a delete, both on preconditions), and what both renames share.
public sealed partial class OctueFileSystem
{
    /// <inheritdoc/>
    public async ValueTask<VfsError> RenameAsync(ulong parent, string name, ulong newParent, string newName, RenameFlags flags, CancellationToken ct = default)
    {
        if ((flags & RenameFlags.Exchange) != 0)
        {
            // Two objects cannot swap names atomically. EINVAL is what rename(2) documents for a flag the file
            // system does not support, and what the kernel itself answers once a FUSE file system lacks RENAME2.
            return VfsError.InvalidArgument;
        }

        var projected = await ProjectDatasetNodeAsync(parent, ct).ConfigureAwait(false);
        if (projected == VfsError.None)
        {
            projected = await ProjectDatasetNodeAsync(newParent, ct).ConfigureAwait(false);
        }

        if (projected != VfsError.None)
        {
            return projected;
        }

        var checkedSource = CheckChangeInDirectory(parent, name, out var fromDir);
        if (checkedSource != VfsError.None)
        {
            return checkedSource;
        }

        var checkedTarget = CheckChangeInDirectory(newParent, newName, out var toDir);
        if (checkedTarget != VfsError.None)
        {
            return checkedTarget;
        }

        if (!ObjectLimits.NameFits(toDir!.ObjectName + newName))
        {
            return VfsError.NameTooLong;
        }

        if (_nodes.GetChild(fromDir!, name) is { Kind: NodeKind.File } open)
        {
            // Bytes or attributes still staged on an open handle (a file renamed while written, a new file not yet
            // uploaded, or rsync's utimes between close and the asynchronous RELEASE) go up first, so the copy carries them.
            var flushed = await UploadOpenWritersAsync(open, ct).ConfigureAwait(false);
            if (flushed != VfsError.None)
            {
                return flushed;
            }
        }

        // So do copies whose upload failed earlier, of the file or of anything in the directory: the rename moves
        // only what is in the bucket, and must not leave them behind under the old name.
        var pendingSource = PendingOf(fromDir!, name);
        var retried = await RetryPendingUploadAsync(pendingSource, ct).ConfigureAwait(false);
        if (retried == VfsError.None && _pending.Count > 0)
        {
            retried = await RetryPendingUploadsUnderAsync(fromDir!.Bucket, fromDir.ObjectName + name + "/", ct).ConfigureAwait(false);
        }

        if (retried != VfsError.None)
        {
            return retried;
        }

        if (pendingSource is not null)
        {
            _metadata.InvalidateObject(fromDir!.Bucket, fromDir.ObjectName + name);
            _metadata.InvalidateListing(fromDir.Bucket, fromDir.ObjectName);
        }

        var source = await _resolver.ResolveAsync(fromDir!, name, ct).ConfigureAwait(false);
        if (!source.IsOk)
        {
            return source.Error;
        }

        if (fromDir == toDir && name == newName)
        {
            return VfsError.None;
        }

        // Fresh state of the target: a rename must not trust a cached negative.
        _metadata.InvalidateListing(toDir!.Bucket, toDir.ObjectName);
        _metadata.InvalidateStat(toDir.Bucket, toDir.ObjectName + newName);
        _metadata.InvalidateDirectory(toDir.Bucket, toDir.ObjectName + newName + "/");
        var target = await _resolver.ResolveAsync(toDir, newName, ct).ConfigureAwait(false);
        if (!target.IsOk && target.Error != VfsError.NotFound)
        {
            return target.Error;
        }

        var targetExists = target.IsOk;
        var pendingTarget = PendingOf(toDir, newName);
        if ((targetExists || pendingTarget is not null) && (flags & RenameFlags.NoReplace) != 0)
        {
            return VfsError.Exists;
        }

        var node = _nodes.GetChild(fromDir!, name) ?? _resolver.NodeFor(fromDir!, source.Value, addLookups: 0);
        try
        {
            VfsError error;
            if (source.Value.Kind == NodeKind.Directory)
            {
                if (targetExists && target.Value.Kind != NodeKind.Directory)
                {
                    return VfsError.NotDirectory;
                }

                if (IsSameOrInside(toDir, node))
                {
                    return VfsError.InvalidArgument;
                }

                error = await RenameDirectoryAsync(node, source.Value, toDir, newName, targetExists ? target.Value : null, ct).ConfigureAwait(false);
            }
            else
            {
                if (targetExists && target.Value.Kind == NodeKind.Directory)
                {
                    return VfsError.IsDirectory;
                }

                error = await RenameFileAsync(node, source.Value, toDir, newName, targetExists ? target.Value : null, ct).ConfigureAwait(false);
                if (error is VfsError.None or VfsError.Stale)
                {
                    // The file now at the name replaced the copy whose upload failed there.
                    await DropPendingUploadAsync(pendingTarget, "replaced by a rename").ConfigureAwait(false);
                }
            }

            _nodes.ReleaseIfUnused(node);
            return error;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "rename", $"{fromDir}{name} -> {toDir}{newName}");
        }
    }

    /// <summary>Uploads whatever the node's open write handles hold staged and not yet uploaded.</summary>
    private async ValueTask<VfsError> UploadOpenWritersAsync(Node node, CancellationToken ct)
    {
        var writers = WritersOf(node);
        foreach (var writer in writers)
        {
            await writer.Gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var error = await UploadIfDirtyAsync(writer, ct).ConfigureAwait(false);
                if (error != VfsError.None)
                {
                    return error;
                }
            }
            finally
            {
                writer.Gate.Release();
            }
        }

        if (writers.Length > 0)
        {
            // A file created by this mount may still be cached as absent: the rename must see what was just uploaded.
            _metadata.InvalidateObject(node.Bucket, node.ObjectName);
            _metadata.InvalidateListing(node.Parent?.Bucket ?? node.Bucket, node.Parent?.ObjectName ?? "");
        }

        return VfsError.None;
    }

    /// <summary>Server-side copy with preconditions on both ends, then a delete of exactly the copied generation.</summary>
    private async Task<VfsError> RenameFileAsync(Node node, ListingEntry source, Node toDir, string newName, ListingEntry? target, CancellationToken ct)
    {
        var current = await StatAsync(source.Bucket, source.ObjectName, ct).ConfigureAwait(false);
        if (current is null)
        {
            _metadata.InvalidateObject(source.Bucket, source.ObjectName);
            return VfsError.NotFound;
        }

        var destination = toDir.ObjectName + newName;
        var targetGeneration = target?.Object?.Generation ?? 0;
        if (target is not null && target.Value.Object is null)
        {
            var fresh = await StatAsync(toDir.Bucket, destination, ct).ConfigureAwait(false);
            targetGeneration = fresh?.Generation ?? 0;
        }

        // The file the rename replaces: an object, or a file created here and not uploaded yet (not in the bucket).
        var replaced = _nodes.GetChild(toDir, newName) is { Kind: NodeKind.File } there && there != node ? there : null;
        if (replaced is not null && targetGeneration != 0)
        {
            // The file renamed over stays readable through the handles open on it, as an unlinked file does.
            await PreserveOpenReadersAsync(replaced, targetGeneration, ct).ConfigureAwait(false);
        }

        ObjectInfo copy;
        try
        {
            copy = await _store.CopyAsync(source.Bucket, source.ObjectName, toDir.Bucket, destination, current.Generation, targetGeneration, ct).ConfigureAwait(false);
        }
        catch (PreconditionFailedException)
        {
            _metadata.InvalidateObject(source.Bucket, source.ObjectName);
            _metadata.InvalidateObject(toDir.Bucket, destination);
            return VfsError.Stale;
        }

        var stale = false;
        try
        {
            await _store.DeleteAsync(source.Bucket, source.ObjectName, current.Generation, ct).ConfigureAwait(false);
        }
        catch (PreconditionFailedException)
        {
            // The source was rewritten after our copy: keep both rather than delete bytes nobody has seen.
            _logger.LogWarning("Rename of gs://{Bucket}/{Name}: the source changed during the rename; it was copied and kept", source.Bucket, source.ObjectName);
            stale = true;
        }
        catch (ObjectNotFoundException)
        {
        }

        _metadata.InvalidateObject(source.Bucket, source.ObjectName);
        if (!stale)
        {
            _metadata.PutStat(source.Bucket, source.ObjectName, null);
        }
        MoveNode(node, toDir, newName, toDir.Bucket, destination);
        RecordOwnChange(node, copy);
        await RebaseWritersAsync(node, copy, CancellationToken.None).ConfigureAwait(false);
        // Readers of the renamed generation read its copy, which has the same bytes, now that the source is gone.
        RebaseOpenHandles(node, copy, uploader: null, onlyGeneration: current.Generation);
        if (replaced is not null)
        {
            await ForgetStagedCopiesAsync(replaced, ct).ConfigureAwait(false);
        }

        return stale ? VfsError.Stale : VfsError.None;
    }

    private void MoveNode(Node node, Node toDir, string newName, string bucket, string objectName)
    {
        // A file created here is listed from its writer until its first upload: under its old name no longer.
        if (node.Parent is { } fromDir && fromDir.PendingCreates.TryGetValue(node.Name, out var pending) && pending == node)
        {
            fromDir.PendingCreates.TryRemove(node.Name, out _);
            if (ActiveWriter(node) is { Base: null })
            {
                toDir.PendingCreates[newName] = node;
            }
        }

        _nodes.Move(node, toDir, newName);
        lock (_nodes.SyncRoot)
        {
            node.Bucket = bucket;
            node.ObjectName = objectName;
        }
    }

    /// <summary>
    /// Open writers of a renamed file now write the copy: their upload goes to its name with the copy's generation
    /// as precondition. Their sidecars say so on disk at once, so that a recovery after a crash uploads what they
    /// write next to the new name, not to the old one (gone: it would be a lost race). Each writer's gate is taken:
    /// its writes save the same sidecar.
    /// </summary>
    private static async ValueTask RebaseWritersAsync(Node node, ObjectInfo copy, CancellationToken ct)
    {
        foreach (var writer in WritersOf(node))
        {
            await writer.Gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                writer.Base = copy;
                writer.Staged?.Rebase(copy);
            }
            finally
            {
                writer.Gate.Release();
            }
        }
    }

    private static bool IsSameOrInside(Node dir, Node ancestor)
    {
        for (var p = dir; p is not null; p = p.Parent)
        {
            if (p == ancestor)
            {
                return true;
            }
        }

        return false;
    }
}
