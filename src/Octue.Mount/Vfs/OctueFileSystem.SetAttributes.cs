using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// chmod, chown, utimes and truncate: into a writer's staged copy, or a metadata PATCH of the object.
public sealed partial class OctueFileSystem
{
    /// <inheritdoc/>
    public ValueTask<VfsResult<NodeAttributes>> SetAttributesAsync(ulong node, ulong? handle, SetAttributes changes, CancellationToken ct = default)
    {
        if (_nodes.Get(node) is not { } n)
        {
            return ValueTask.FromResult<VfsResult<NodeAttributes>>(VfsError.NotFound);
        }

        var given = handle is { } hid && _files.TryGetValue(hid, out var open) ? open : null;
        return SetNodeAttributesAsync(n, given, changes, ct);
    }

    /// <summary>setattr once the node (and the handle it came through, if any) is found.</summary>
    private async ValueTask<VfsResult<NodeAttributes>> SetNodeAttributesAsync(Node n, FileHandle? given, SetAttributes changes, CancellationToken ct)
    {
        var projected = await ProjectDatasetNodeAsync(n, ct).ConfigureAwait(false);
        if (projected != VfsError.None)
        {
            return projected;
        }

        var changesSomething = changes.Size is not null || changes.ModifiedNs is not null || changes.Mode is not null ||
                               changes.Uid is not null || changes.Gid is not null;
        if (changesSomething && IsReadOnly)
        {
            return VfsError.ReadOnly;
        }

        if (n.IsDirectory)
        {
            return changes.Size is not null ? VfsError.IsDirectory : await _resolver.Directories.SetAsync(n, changes, ct).ConfigureAwait(false);
        }

        if (n.Kind == NodeKind.Symlink && changes.Size is not null)
        {
            return VfsError.InvalidArgument;
        }

        if (changes.Size is < 0)
        {
            return VfsError.InvalidArgument;
        }

        if (changes.Size is { } wanted && !ObjectLimits.SizeFits(wanted))
        {
            return VfsError.FileTooBig;
        }

        var writer = given is { CanWrite: true } ? given : ActiveWriter(n);
        if (writer is not null)
        {
            return await SetStagedAttributesAsync(n, writer, changes, ct).ConfigureAwait(false);
        }

        if (changesSomething)
        {
            // A file whose upload failed earlier is saved before it is changed.
            var retried = await RetryPendingUploadAsync(PendingOf(n), ct).ConfigureAwait(false);
            if (retried != VfsError.None)
            {
                return retried;
            }
        }

        if (changes.Size is { } size)
        {
            // truncate(2) with no open handle: stage, cut, upload at once.
            var opened = await OpenNodeAsync(n, size == 0 ? OpenFlags.Write | OpenFlags.Truncate : OpenFlags.Write, ct).ConfigureAwait(false);
            if (!opened.IsOk)
            {
                return opened.Error;
            }

            // The handle is this call's own (the kernel never saw its id): no one else releases it.
            var own = _files[opened.Value];
            var result = await SetStagedAttributesAsync(n, own, changes, ct).ConfigureAwait(false);
            _files.TryRemove(own.Id, out _);
            var released = await ReleaseHandleAsync(own, ct).ConfigureAwait(false);
            if (released != VfsError.None)
            {
                return released;
            }

            return result.IsOk ? await _resolver.GetAttributesAsync(n, null, ct).ConfigureAwait(false) : result;
        }

        if (changes.ModifiedNs is null && changes.Mode is null && changes.Uid is null && changes.Gid is null)
        {
            return await _resolver.GetAttributesAsync(n, null, ct).ConfigureAwait(false);
        }

        return await PatchPosixMetadataAsync(n, changes, ct).ConfigureAwait(false);
    }

    private async ValueTask<VfsResult<NodeAttributes>> SetStagedAttributesAsync(Node node, FileHandle writer, SetAttributes changes, CancellationToken ct)
    {
        // The kernel sends RELEASE asynchronously after close, so a setattr (rsync's utimes right after close) can
        // pick a writer that is released while it waits for the gate. Its upload is then done: the change must go
        // to the object itself, not into a staged copy nobody will upload.
        return await SetStagedAttributesUnlessReleasedAsync(node, writer, changes, ct).ConfigureAwait(false)
               ?? await SetNodeAttributesAsync(node, null, changes, ct).ConfigureAwait(false);
    }

    private async ValueTask<VfsResult<NodeAttributes>?> SetStagedAttributesUnlessReleasedAsync(Node node, FileHandle writer, SetAttributes changes, CancellationToken ct)
    {
        await writer.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!_files.ContainsKey(writer.Id))
            {
                return null;
            }

            if (writer.Failure != VfsError.None)
            {
                return writer.Failure;
            }

            if (writer.Staged is null)
            {
                var error = await StageAsync(writer, copyContent: changes.Size is not 0, ct).ConfigureAwait(false);
                if (error != VfsError.None)
                {
                    // A size change the copy cannot take is a missed write; a chmod or utimes is only refused.
                    return changes.Size is null ? error : WriteMissed(writer, error);
                }
            }

            var staged = writer.Staged!;
            if (changes.Size is { } size)
            {
                try
                {
                    await staged.MarkBytesChangedAsync(ct).ConfigureAwait(false);
                    staged.SetLength(size);
                }
                catch (Exception e) when (e is not OutOfMemoryException && !(e is OperationCanceledException && ct.IsCancellationRequested))
                {
                    return WriteMissed(writer, ErrorMapping.Map(e, _logger, "truncate", node.ToString()));
                }

                writer.ModifiedNs = NowNs();
            }
            else
            {
                await staged.MarkDirtyAsync(ct).ConfigureAwait(false);
            }

            var metadata = staged.Sidecar.Metadata;
            if (changes.ModifiedNs is { } mtime)
            {
                writer.ModifiedNs = mtime;
                PosixMetadata.SetModified(metadata, mtime);
                staged.Sidecar.ModifiedExplicitly = true;
            }

            foreach (var (key, value) in PosixMetadata.Ownership(changes.Mode, changes.Uid, changes.Gid))
            {
                metadata[key] = value;
            }

            if (changes.ModifiedNs is not null || changes.Mode is not null || changes.Uid is not null || changes.Gid is not null)
            {
                // Only the upload takes the sidecar to GCS: until then a crash must not lose the change.
                await staged.SaveSidecarAsync(ct).ConfigureAwait(false);
            }

            return _attributes.Staged(node, writer);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "setattr", node.ToString());
        }
        finally
        {
            writer.Gate.Release();
        }
    }

    /// <summary>chmod/chown/utimes on a file with no open writer: a metadata PATCH with a metageneration precondition.</summary>
    private async ValueTask<VfsResult<NodeAttributes>> PatchPosixMetadataAsync(Node node, SetAttributes changes, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var current = await StatAsync(node.Bucket, node.ObjectName, ct).ConfigureAwait(false);
                if (current is null)
                {
                    return VfsError.NotFound;
                }

                var patch = new MetadataPatch { Metadata = PosixMetadata.Patch(current, changes) };
                var info = await _store.PatchMetadataAsync(node.Bucket, node.ObjectName, patch, current.Metageneration, ct).ConfigureAwait(false);
                RecordOwnChange(node, info);
                // A writer that opened the file and has not written yet stages its copy later, from its base: it
                // must carry this change, or its first write would hide it until close.
                await OpenFiles.CarryIntoWritersAsync(node, patch, info, ct).ConfigureAwait(false);
                return _attributes.Object(node, info);
            }
            catch (PreconditionFailedException) when (attempt < MetadataRaces.MaxRetries)
            {
                // Someone else changed the metadata between our stat and the patch: re-read and try again.
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return ErrorMapping.Map(e, _logger, "setattr", node.ToString());
            }
        }
    }
}
