using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// rename(2): of a file, a server-side copy and a delete, both on preconditions; of a directory, every object under
/// it copied and deleted one by one, so not atomic (DESIGN.md; <c>Renamer.Directory.cs</c>). What open handles hold
/// staged, and copies whose upload failed for now, go up first, so the rename moves them too; open handles follow
/// the file to its new name.
/// </summary>
internal sealed partial class Renamer
{
    private readonly IObjectStore _store;
    private readonly IMetadataKnowledge<DirectoryListing> _metadata;
    private readonly NodeTable _nodes;
    private readonly NodeResolver _resolver;
    private readonly IOpenFiles _openFiles;
    private readonly PendingUploads _pending;
    private readonly ILogger _logger;
    private readonly bool _readOnly;

    public Renamer(IObjectStore store, IMetadataKnowledge<DirectoryListing> metadata, NodeTable nodes, NodeResolver resolver, IOpenFiles openFiles,
        PendingUploads pending, ILogger logger, bool readOnly)
    {
        _store = store;
        _metadata = metadata;
        _nodes = nodes;
        _resolver = resolver;
        _openFiles = openFiles;
        _pending = pending;
        _logger = logger;
        _readOnly = readOnly;
    }

    /// <summary>
    /// rename(2) of <paramref name="name"/> in <paramref name="fromDir"/> to <paramref name="newName"/> in
    /// <paramref name="toDir"/> (either null when the kernel's id names no node).
    /// </summary>
    public async ValueTask<VfsError> RenameAsync(Node? fromDir, string name, Node? toDir, string newName, RenameFlags flags, CancellationToken ct)
    {
        if ((flags & RenameFlags.Exchange) != 0)
        {
            // Two objects cannot swap names atomically. EINVAL is what rename(2) documents for a flag the file
            // system does not support, and what the kernel itself answers once a FUSE file system lacks RENAME2.
            return VfsError.InvalidArgument;
        }

        var projected = await _resolver.ProjectDatasetAsync(fromDir, ct).ConfigureAwait(false);
        if (projected == VfsError.None)
        {
            projected = await _resolver.ProjectDatasetAsync(toDir, ct).ConfigureAwait(false);
        }

        if (projected != VfsError.None)
        {
            return projected;
        }

        var checkedSource = ChangeRules.Check(fromDir, name, _readOnly);
        if (checkedSource != VfsError.None)
        {
            return checkedSource;
        }

        var checkedTarget = ChangeRules.Check(toDir, newName, _readOnly);
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
            var flushed = await _openFiles.UploadWritersAsync(open, ct).ConfigureAwait(false);
            if (flushed != VfsError.None)
            {
                return flushed;
            }
        }

        // So do copies whose upload failed earlier, of the file or of anything in the directory: the rename moves
        // only what is in the bucket, and must not leave them behind under the old name.
        var pendingSource = _openFiles.PendingOf(fromDir!, name);
        var retried = await _openFiles.RetryPendingAsync(pendingSource, ct).ConfigureAwait(false);
        if (retried == VfsError.None && _pending.Count > 0)
        {
            retried = await _openFiles.RetryPendingUnderAsync(fromDir!.Bucket, fromDir.ObjectName + name + "/", ct).ConfigureAwait(false);
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
        var pendingTarget = _openFiles.PendingOf(toDir, newName);
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
                    await _openFiles.DropPendingAsync(pendingTarget, "replaced by a rename").ConfigureAwait(false);
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

    /// <summary>Server-side copy with preconditions on both ends, then a delete of exactly the copied generation.</summary>
    private async Task<VfsError> RenameFileAsync(Node node, ListingEntry source, Node toDir, string newName, ListingEntry? target, CancellationToken ct)
    {
        var current = await _store.StatAsync(source.Bucket, source.ObjectName, ct).ConfigureAwait(false);
        if (current is null)
        {
            _metadata.InvalidateObject(source.Bucket, source.ObjectName);
            return VfsError.NotFound;
        }

        var destination = toDir.ObjectName + newName;
        var targetGeneration = target?.Object?.Generation ?? 0;
        if (target is not null && target.Value.Object is null)
        {
            var fresh = await _store.StatAsync(toDir.Bucket, destination, ct).ConfigureAwait(false);
            targetGeneration = fresh?.Generation ?? 0;
        }

        // The file the rename replaces: an object, or a file created here and not uploaded yet (not in the bucket).
        var replaced = _nodes.GetChild(toDir, newName) is { Kind: NodeKind.File } there && there != node ? there : null;
        if (replaced is not null && targetGeneration != 0)
        {
            // The file renamed over stays readable through the handles open on it, as an unlinked file does.
            await _openFiles.PreserveReadersAsync(replaced, targetGeneration, ct).ConfigureAwait(false);
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
        // The store recorded the copy in the metadata cache.
        node.LastKnown = copy;
        await _openFiles.RebaseWritersAsync(node, copy, CancellationToken.None).ConfigureAwait(false);
        // Readers of the renamed generation read its copy, which has the same bytes, now that the source is gone.
        _openFiles.RebaseHandles(node, copy, onlyGeneration: current.Generation);
        if (replaced is not null)
        {
            await _openFiles.ForgetStagedCopiesAsync(replaced, ct).ConfigureAwait(false);
        }

        return stale ? VfsError.Stale : VfsError.None;
    }

    private void MoveNode(Node node, Node toDir, string newName, string bucket, string objectName)
    {
        // A file created here is listed from its writer until its first upload: under its old name no longer.
        if (node.Parent is { } fromDir && fromDir.PendingCreates.TryGetValue(node.Name, out var pending) && pending == node)
        {
            fromDir.PendingCreates.TryRemove(node.Name, out _);
            if (node.ActiveWriter() is { Base: null })
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
