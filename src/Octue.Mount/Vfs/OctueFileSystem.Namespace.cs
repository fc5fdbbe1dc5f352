using Microsoft.Extensions.Logging;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// Changes to the tree: directories, unlink, rename, symlinks.
public sealed partial class OctueFileSystem
{
    /// <inheritdoc/>
    public async ValueTask<VfsResult<NodeAttributes>> MakeDirectoryAsync(ulong parent, string name, uint mode, FileOwner? owner = null, CancellationToken ct = default)
    {
        var projected = await ProjectDatasetNodeAsync(parent, ct).ConfigureAwait(false);
        if (projected != VfsError.None)
        {
            return projected;
        }

        var checkedParent = CheckChangeInDirectory(parent, name, out var dir);
        if (checkedParent != VfsError.None)
        {
            return checkedParent;
        }

        var prefix = dir!.ObjectName + name + "/";
        if (!ObjectLimits.NameFits(prefix))
        {
            return VfsError.NameTooLong;
        }

        var existing = await ResolveAsync(dir, name, ct).ConfigureAwait(false);
        if (existing.IsOk)
        {
            return VfsError.Exists;
        }

        if (existing.Error != VfsError.NotFound)
        {
            return existing.Error;
        }

        var metadata = NewObjectPosixMetadata(mode & 0xFFF, _options.DirectoryMode, owner);
        PosixMetadata.SetModified(metadata, NowNs());

        try
        {
            var placeholder = await _store.UploadAsync(dir.Bucket, prefix, new MemoryStream(Array.Empty<byte>(), writable: false),
                new UploadOptions { IfGenerationMatch = 0, Metadata = metadata }, ct).ConfigureAwait(false);
            _metadata.ObjectWritten(placeholder);
            // A directory this mount just created holds nothing: lookups in it need not ask the store (a `cp -r`
            // into it creates each file at the cost of its upload alone).
            _metadata.PutListing(dir.Bucket, prefix, DirectoryListing.Empty().WithPlaceholder(placeholder));
            var node = _nodes.GetOrAdd(dir, name, NodeKind.Directory, id => new Node(id, NodeKind.Directory, dir, name, dir.Bucket, prefix), addLookups: 1);
            return DirectoryAttributes(node, placeholder);
        }
        catch (PreconditionFailedException)
        {
            return VfsError.Exists;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "mkdir", $"gs://{dir.Bucket}/{prefix}");
        }
    }

    /// <inheritdoc/>
    public async ValueTask<VfsError> RemoveDirectoryAsync(ulong parent, string name, CancellationToken ct = default)
    {
        var projected = await ProjectDatasetNodeAsync(parent, ct).ConfigureAwait(false);
        if (projected != VfsError.None)
        {
            return projected;
        }

        var checkedParent = CheckChangeInDirectory(parent, name, out var dir);
        if (checkedParent != VfsError.None)
        {
            return checkedParent;
        }

        var existing = await ResolveAsync(dir!, name, ct).ConfigureAwait(false);
        string prefix;
        if (existing.IsOk)
        {
            if (existing.Value.Kind != NodeKind.Directory)
            {
                return VfsError.NotDirectory;
            }

            prefix = existing.Value.ObjectName;
        }
        else if (existing.Error == VfsError.NotFound && _nodes.GetChild(dir!, name) is { IsDirectory: true, Role: DirectoryRole.Prefix } known)
        {
            // An implicit directory (no placeholder object) stops existing in GCS when its last object goes, as in
            // `rm -r`: unlink every file, then rmdir. The caller still holds the directory, so removing it succeeds
            // once the listing below confirms that nothing has appeared under the prefix meanwhile.
            prefix = known.ObjectName;
        }
        else
        {
            return existing.Error;
        }

        if (_nodes.GetChild(dir!, name) is { IsDirectory: true } folder && HasPendingCreates(folder))
        {
            // A file created in it and not uploaded yet is not in the bucket, but it is in the folder.
            return VfsError.NotEmpty;
        }

        var bucket = dir!.Bucket;
        if (_pending.Under(bucket, prefix, directChildrenOnly: false).Count > 0 ||
            _nodes.GetChild(dir, name) is { } removed && HasFilesBeingCreated(removed))
        {
            // Files that exist only in staged copies (being written, or whose upload failed) are in it: removing it
            // now would let their upload bring it back.
            return VfsError.NotEmpty;
        }

        try
        {
            var page = await _store.ListAsync(bucket, new ListRequest { Prefix = prefix, Delimiter = "/", PageSize = 2 }, ct).ConfigureAwait(false);
            ObjectInfo? placeholder = null;
            foreach (var obj in page.Objects)
            {
                if (obj.Name == prefix)
                {
                    placeholder = obj;
                }
                else
                {
                    return VfsError.NotEmpty;
                }
            }

            if (page.Prefixes.Count > 0 || !string.IsNullOrEmpty(page.NextPageToken))
            {
                return VfsError.NotEmpty;
            }

            if (placeholder is not null)
            {
                await _store.DeleteAsync(bucket, prefix, placeholder.Generation, ct).ConfigureAwait(false);
            }

            _metadata.DirectoryRemoved(bucket, prefix);
            _nodes.Detach(dir, name);
            return VfsError.None;
        }
        catch (PreconditionFailedException)
        {
            // The placeholder was rewritten meanwhile: someone is using the directory.
            return VfsError.NotEmpty;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "rmdir", $"gs://{bucket}/{prefix}");
        }
    }

    /// <inheritdoc/>
    public async ValueTask<VfsError> UnlinkAsync(ulong parent, string name, CancellationToken ct = default)
    {
        var projected = await ProjectDatasetNodeAsync(parent, ct).ConfigureAwait(false);
        if (projected != VfsError.None)
        {
            return projected;
        }

        var checkedParent = CheckChangeInDirectory(parent, name, out var dir);
        if (checkedParent != VfsError.None)
        {
            return checkedParent;
        }

        // Uploads of the name in flight (a close, the retry of a failed one) finish before it is removed, and none
        // starts until it is: what they uploaded is then deleted like any object, and what they had not is dropped
        // (a writer's later upload sees its file unlinked; a failed one is not kept for a later start).
        var held = new List<SemaphoreSlim>();
        try
        {
            if (_nodes.GetChild(dir!, name) is { Kind: NodeKind.File } known)
            {
                foreach (var writer in WritersOf(known))
                {
                    await writer.Gate.WaitAsync(ct).ConfigureAwait(false);
                    held.Add(writer.Gate);
                }
            }

            var pending = PendingOf(dir!, name);
            if (pending is not null)
            {
                await pending.Gate.WaitAsync(ct).ConfigureAwait(false);
                held.Add(pending.Gate);
            }

            return await UnlinkHeldAsync(dir!, name, pending, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return VfsError.Interrupted;
        }
        finally
        {
            foreach (var gate in held)
            {
                gate.Release();
            }
        }
    }

    /// <summary>Unlink with the name's upload gates held (<paramref name="pending"/>'s included).</summary>
    private async ValueTask<VfsError> UnlinkHeldAsync(Node dir, string name, PendingUpload? pending, CancellationToken ct)
    {
        if (_nodes.GetChild(dir, name) is { Kind: NodeKind.File } local && ActiveWriter(local) is { Base: null })
        {
            // Created here and never uploaded: nothing exists remotely.
            _nodes.Detach(dir, name);
            DropPendingUploadHeld(pending, "removed");
            await MarkStagedCopiesUnlinkedAsync(local, ct).ConfigureAwait(false);
            return VfsError.None;
        }

        var existing = await ResolveAsync(dir, name, ct).ConfigureAwait(false);
        if (!existing.IsOk)
        {
            if (existing.Error == VfsError.NotFound && DropPendingUploadHeld(pending, "removed"))
            {
                // It existed only as a copy whose upload failed: removing it is dropping that copy.
                _nodes.Detach(dir, name);
                return VfsError.None;
            }

            return existing.Error;
        }

        if (existing.Value.Kind == NodeKind.Directory)
        {
            return VfsError.IsDirectory;
        }

        var bucket = existing.Value.Bucket;
        var objectName = existing.Value.ObjectName;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // Delete exactly the generation we saw, so a concurrent rewrite is never deleted unseen.
                var current = await StatAsync(bucket, objectName, ct).ConfigureAwait(false);
                if (current is null)
                {
                    _metadata.InvalidateObject(bucket, objectName);
                    if (DropPendingUploadHeld(pending, "removed"))
                    {
                        _nodes.Detach(dir, name);
                        return VfsError.None;
                    }

                    return VfsError.NotFound;
                }

                var live = _nodes.GetChild(dir, name);
                if (live is not null)
                {
                    // Handles open on it keep reading what they opened, as on a local disk.
                    await PreserveOpenReadersAsync(live, current.Generation, ct).ConfigureAwait(false);
                }

                await _store.DeleteAsync(bucket, objectName, current.Generation, ct).ConfigureAwait(false);
                _metadata.ObjectRemoved(bucket, objectName);
                _nodes.Detach(dir, name);
                DropPendingUploadHeld(pending, "removed");
                if (live is not null)
                {
                    await MarkStagedCopiesUnlinkedAsync(live, ct).ConfigureAwait(false);
                }

                return VfsError.None;
            }
            catch (PreconditionFailedException) when (attempt < 2)
            {
            }
            catch (ObjectNotFoundException)
            {
                _metadata.InvalidateObject(bucket, objectName);
                return VfsError.NotFound;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return ErrorMapping.Map(e, _logger, "unlink", $"gs://{bucket}/{objectName}");
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask<VfsResult<NodeAttributes>> SymlinkAsync(ulong parent, string name, string target, FileOwner? owner = null, CancellationToken ct = default)
    {
        var projected = await ProjectDatasetNodeAsync(parent, ct).ConfigureAwait(false);
        if (projected != VfsError.None)
        {
            return projected;
        }

        var checkedParent = CheckChangeInDirectory(parent, name, out var dir);
        if (checkedParent != VfsError.None)
        {
            return checkedParent;
        }

        // The target is custom metadata, which the XML API carries as a header: no line breaks or other controls.
        if (string.IsNullOrEmpty(target) || !XattrNames.IsPlainText(target))
        {
            return VfsError.InvalidArgument;
        }

        var objectName = dir!.ObjectName + name;
        if (!ObjectLimits.NameFits(objectName))
        {
            return VfsError.NameTooLong;
        }

        var existing = await ResolveAsync(dir, name, ct).ConfigureAwait(false);
        if (existing.IsOk)
        {
            return VfsError.Exists;
        }

        // A link's mode is always shown as 777, so only its owner is kept.
        var metadata = NewObjectPosixMetadata(null, 0, owner);
        metadata[PosixMetadata.SymlinkTargetKey] = target;
        PosixMetadata.SetModified(metadata, NowNs());
        try
        {
            var info = await _store.UploadAsync(dir.Bucket, objectName, new MemoryStream(Array.Empty<byte>(), writable: false),
                new UploadOptions { IfGenerationMatch = 0, Metadata = metadata }, ct).ConfigureAwait(false);
            var node = _nodes.GetOrAdd(dir, name, NodeKind.Symlink, id => new Node(id, NodeKind.Symlink, dir, name, dir.Bucket, objectName), addLookups: 1);
            RecordOwnChange(node, info);
            return ObjectAttributes(node, info);
        }
        catch (PreconditionFailedException)
        {
            return VfsError.Exists;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "symlink", $"gs://{dir.Bucket}/{objectName}");
        }
    }

    /// <inheritdoc/>
    public async ValueTask<VfsResult<string>> ReadLinkAsync(ulong node, CancellationToken ct = default)
    {
        var n = _nodes.Get(node);
        if (n is null)
        {
            return VfsError.NotFound;
        }

        if (n.Kind != NodeKind.Symlink)
        {
            return VfsError.InvalidArgument;
        }

        var info = await CurrentObjectAsync(n, ct).ConfigureAwait(false);
        if (!info.IsOk)
        {
            return info.Error;
        }

        var target = PosixMetadata.SymlinkTarget(info.Value);
        if (target is null)
        {
            return VfsError.InvalidArgument;
        }

        if (PosixMetadata.SymlinkTargetProblem(target) is { } problem)
        {
            // Set by whoever wrote the bucket: refused here, once logged, rather than passed to the kernel.
            if (_badSymlinksLogged.First(n.Bucket, n.ObjectName))
            {
                _logger.LogWarning("Symlink gs://{Bucket}/{Name} cannot be read: {Problem}", n.Bucket, XattrNames.Printable(n.ObjectName), problem);
            }

            return target.Length == 0 || target.Contains('\0') ? VfsError.InvalidArgument : VfsError.NameTooLong;
        }

        return target;
    }

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

        var source = await ResolveAsync(fromDir!, name, ct).ConfigureAwait(false);
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
        var target = await ResolveAsync(toDir, newName, ct).ConfigureAwait(false);
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

        var node = _nodes.GetChild(fromDir!, name) ?? NodeFor(fromDir!, source.Value, addLookups: 0);
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

    /// <summary>True when files created in <paramref name="dir"/> are still only in their writers' staged copies.</summary>
    private static bool HasPendingCreates(Node dir)
    {
        foreach (var (_, child) in dir.PendingCreates)
        {
            if (!child.Detached && ActiveWriter(child) is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Uploads whatever the node's open write handles hold staged and not yet uploaded.</summary>
    private async ValueTask<VfsError> UploadOpenWritersAsync(Node node, CancellationToken ct)
    {
        FileHandle[] writers;
        lock (node.WriteHandles)
        {
            writers = node.WriteHandles.ToArray();
        }

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

    /// <summary>Object by object (not atomic): copy everything under the prefix, then delete each copied generation.</summary>
    private async Task<VfsError> RenameDirectoryAsync(Node node, ListingEntry source, Node toDir, string newName, ListingEntry? target, CancellationToken ct)
    {
        var fromBucket = source.Bucket;
        var fromPrefix = source.ObjectName;
        var toBucket = toDir.Bucket;
        var toPrefix = toDir.ObjectName + newName + "/";
        var targetPlaceholder = 0L;
        if (target is not null)
        {
            if (_nodes.GetChild(toDir, newName) is { IsDirectory: true } replaced && HasPendingCreates(replaced))
            {
                return VfsError.NotEmpty;
            }

            var page = await _store.ListAsync(toBucket, new ListRequest { Prefix = toPrefix, Delimiter = "/", PageSize = 2 }, ct).ConfigureAwait(false);
            foreach (var obj in page.Objects)
            {
                if (obj.Name != toPrefix)
                {
                    return VfsError.NotEmpty;
                }

                targetPlaceholder = obj.Generation;
            }

            if (page.Prefixes.Count > 0)
            {
                return VfsError.NotEmpty;
            }
        }

        // Files under the folder still being written go up first (new ones included), so the copies carry their
        // bytes and their writers can be rebased onto the copies, as for a file rename.
        var writtenBelow = _nodes.Descendants(node).Where(d => d.Kind == NodeKind.File && d.WriteHandles.Count > 0).ToList();
        foreach (var written in writtenBelow)
        {
            var flushed = await UploadOpenWritersAsync(written, ct).ConfigureAwait(false);
            if (flushed != VfsError.None)
            {
                return flushed;
            }
        }

        var objects = new List<ObjectInfo>();
        string? token = null;
        do
        {
            var page = await _store.ListAsync(fromBucket, new ListRequest { Prefix = fromPrefix, PageSize = 1000, PageToken = token }, ct).ConfigureAwait(false);
            objects.AddRange(page.Objects);
            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token));

        if (!ObjectLimits.NameFits(toPrefix))
        {
            return VfsError.NameTooLong;
        }

        foreach (var obj in objects)
        {
            if (!ObjectLimits.NameFits(toPrefix + obj.Name[fromPrefix.Length..]))
            {
                // Checked for every object before the first copy: a rename that cannot finish does not start.
                return VfsError.NameTooLong;
            }
        }

        var hasPlaceholder = false;
        var copies = new Dictionary<string, (long From, ObjectInfo Copy)>(StringComparer.Ordinal);
        foreach (var obj in objects)
        {
            var destination = toPrefix + obj.Name[fromPrefix.Length..];
            hasPlaceholder |= destination == toPrefix;
            var copy = await _store.CopyAsync(fromBucket, obj.Name, toBucket, destination, obj.Generation,
                destination == toPrefix ? targetPlaceholder : 0, ct).ConfigureAwait(false);
            copies[destination] = (obj.Generation, copy);
            _metadata.InvalidateObject(toBucket, destination);
        }

        if (!hasPlaceholder && objects.Count == 0)
        {
            return VfsError.NotFound;
        }

        var stale = false;
        foreach (var obj in objects)
        {
            try
            {
                await _store.DeleteAsync(fromBucket, obj.Name, obj.Generation, ct).ConfigureAwait(false);
            }
            catch (PreconditionFailedException)
            {
                _logger.LogWarning("Rename of gs://{Bucket}/{Name}: it changed during the rename; it was copied and kept", fromBucket, obj.Name);
                stale = true;
            }
            catch (ObjectNotFoundException)
            {
            }

            _metadata.InvalidateObject(fromBucket, obj.Name);
        }

        if (targetPlaceholder != 0 && !hasPlaceholder)
        {
            // The replaced empty target directory's placeholder stays as the moved directory's placeholder.
            _metadata.InvalidateObject(toBucket, toPrefix);
        }

        _metadata.InvalidateDirectory(fromBucket, fromPrefix);
        _metadata.InvalidateDirectory(toBucket, toPrefix);
        var descendants = _nodes.Descendants(node);
        MoveNode(node, toDir, newName, toBucket, toPrefix);
        foreach (var child in descendants)
        {
            lock (_nodes.SyncRoot)
            {
                if (child.Bucket == fromBucket && child.ObjectName.StartsWith(fromPrefix, StringComparison.Ordinal))
                {
                    child.Bucket = toBucket;
                    child.ObjectName = toPrefix + child.ObjectName[fromPrefix.Length..];
                }
            }

            if (!child.IsDirectory && copies.TryGetValue(child.ObjectName, out var moved))
            {
                // Open files under the folder read and write their copies, as a local rename keeps them open.
                await RebaseWritersAsync(child, moved.Copy, CancellationToken.None).ConfigureAwait(false);
                RebaseOpenHandles(child, moved.Copy, uploader: null, onlyGeneration: moved.From);
            }
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
        FileHandle[] writers;
        lock (node.WriteHandles)
        {
            writers = node.WriteHandles.ToArray();
        }

        foreach (var writer in writers)
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

    /// <summary>The write handles open on a file, in the order they were opened.</summary>
    private static FileHandle[] WritersOf(Node node)
    {
        lock (node.WriteHandles)
        {
            return node.WriteHandles.ToArray();
        }
    }

    /// <summary>True when files created in <paramref name="dir"/> are still only in the staged copies of open handles.</summary>
    private static bool HasFilesBeingCreated(Node dir)
    {
        foreach (var (_, child) in dir.PendingCreates)
        {
            if (!child.Detached && ActiveWriter(child) is not null)
            {
                return true;
            }
        }

        return false;
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

    /// <summary>
    /// The POSIX metadata of a new file, folder or link: its mode (0 is a mode, as with umask 777, not "none") and its
    /// creator as owner, each only where it differs from what the mount shows by default, as chmod and chown keep them.
    /// </summary>
    private Dictionary<string, string> NewObjectPosixMetadata(uint? permissions, uint defaultPermissions, FileOwner? owner) =>
        PosixMetadata.Ownership(permissions == defaultPermissions ? null : permissions,
            owner is { } o && o.Uid != _uid ? o.Uid : null,
            owner is { } g && g.Gid != _gid ? g.Gid : null);

    /// <summary>Checks a change to a name in a directory: the directory is a writable projection of a bucket prefix and the name is valid.</summary>
    private VfsError CheckChangeInDirectory(ulong parent, string name, out Node? dir)
    {
        dir = _nodes.Get(parent);
        if (dir is null)
        {
            return VfsError.NotFound;
        }

        if (!dir.IsDirectory)
        {
            return VfsError.NotDirectory;
        }

        if (IsReadOnly)
        {
            return VfsError.ReadOnly;
        }

        var check = FileNameErrors.Check(name);
        if (check != VfsError.None)
        {
            return check;
        }

        return dir.Role == DirectoryRole.Prefix ? VfsError.None : VfsError.AccessDenied;
    }
}
