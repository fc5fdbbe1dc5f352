using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// Changes to the tree: directories and unlink (rename and links are beside this, in .Rename, .RenameDirectory, .Links).
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

        var existing = await _resolver.ResolveAsync(dir, name, ct).ConfigureAwait(false);
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
            // A directory this mount just created holds nothing: lookups in it need not ask the store (a `cp -r`
            // into it creates each file at the cost of its upload alone).
            _metadata.PutListing(dir.Bucket, prefix, DirectoryListing.Empty().WithPlaceholder(placeholder));
            var node = _nodes.GetOrAdd(dir, name, NodeKind.Directory, id => new Node(id, NodeKind.Directory, dir, name, dir.Bucket, prefix), addLookups: 1);
            return _attributes.Directory(node, placeholder);
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

        var existing = await _resolver.ResolveAsync(dir!, name, ct).ConfigureAwait(false);
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
            _nodes.GetChild(dir, name) is { } removed && HasPendingCreates(removed))
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

        var existing = await _resolver.ResolveAsync(dir, name, ct).ConfigureAwait(false);
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

                // The store records it gone (known missing, out of its folder's listing).
                await _store.DeleteAsync(bucket, objectName, current.Generation, ct).ConfigureAwait(false);
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

    /// <summary>True when files created in <paramref name="dir"/> are still only in their writers' staged copies.</summary>
    private static bool HasPendingCreates(Node dir) => dir.HasPendingCreates();

    /// <summary>The write handles open on a file, in the order they were opened.</summary>
    private static FileHandle[] WritersOf(Node node) => node.Writers();

    /// <summary>The POSIX metadata of a new file or folder (<see cref="AttributeBuilder.NewObjectMetadata"/>).</summary>
    private Dictionary<string, string> NewObjectPosixMetadata(uint? permissions, uint defaultPermissions, FileOwner? owner) =>
        _attributes.NewObjectMetadata(permissions, defaultPermissions, owner);

    /// <summary>Checks a change to a name in a directory: the directory is a writable projection of a bucket prefix and the name is valid.</summary>
    private VfsError CheckChangeInDirectory(ulong parent, string name, out Node? dir)
    {
        dir = _nodes.Get(parent);
        return ChangeRules.Check(dir, name, IsReadOnly);
    }
}
