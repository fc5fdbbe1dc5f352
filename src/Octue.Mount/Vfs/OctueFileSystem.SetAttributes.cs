using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// chmod, chown, utimes and truncate: into a writer's staged copy, or a metadata PATCH of the object.
public sealed partial class OctueFileSystem
{
    /// <inheritdoc/>
    public async ValueTask<VfsResult<NodeAttributes>> SetAttributesAsync(ulong node, ulong? handle, SetAttributes changes, CancellationToken ct = default)
    {
        var projected = await ProjectDatasetNodeAsync(node, ct).ConfigureAwait(false);
        if (projected != VfsError.None)
        {
            return projected;
        }

        var n = _nodes.Get(node);
        if (n is null)
        {
            return VfsError.NotFound;
        }

        var changesSomething = changes.Size is not null || changes.ModifiedNs is not null || changes.Mode is not null ||
                               changes.Uid is not null || changes.Gid is not null;
        if (changesSomething && IsReadOnly)
        {
            return VfsError.ReadOnly;
        }

        if (n.IsDirectory)
        {
            return changes.Size is not null ? VfsError.IsDirectory : await SetDirectoryAttributesAsync(n, changes, ct).ConfigureAwait(false);
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

        FileHandle? writer = null;
        if (handle is { } hid && _files.TryGetValue(hid, out var given) && given.CanWrite)
        {
            writer = given;
        }

        writer ??= ActiveWriter(n);
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
            var opened = await OpenAsync(node, size == 0 ? OpenFlags.Write | OpenFlags.Truncate : OpenFlags.Write, ct).ConfigureAwait(false);
            if (!opened.IsOk)
            {
                return opened.Error;
            }

            var result = await SetStagedAttributesAsync(n, _files[opened.Value], changes, ct).ConfigureAwait(false);
            var released = await ReleaseAsync(opened.Value, ct).ConfigureAwait(false);
            if (released != VfsError.None)
            {
                return released;
            }

            return result.IsOk ? await GetAttributesAsync(node, null, ct).ConfigureAwait(false) : result;
        }

        if (changes.ModifiedNs is null && changes.Mode is null && changes.Uid is null && changes.Gid is null)
        {
            return await GetAttributesAsync(node, null, ct).ConfigureAwait(false);
        }

        return await PatchPosixMetadataAsync(n, changes, ct).ConfigureAwait(false);
    }

    private async ValueTask<VfsResult<NodeAttributes>> SetStagedAttributesAsync(Node node, FileHandle writer, SetAttributes changes, CancellationToken ct)
    {
        // The kernel sends RELEASE asynchronously after close, so a setattr (rsync's utimes right after close) can
        // pick a writer that is released while it waits for the gate. Its upload is then done: the change must go
        // to the object itself, not into a staged copy nobody will upload.
        return await SetStagedAttributesUnlessReleasedAsync(node, writer, changes, ct).ConfigureAwait(false)
               ?? await SetAttributesAsync(node.Id, null, changes, ct).ConfigureAwait(false);
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

            return StagedAttributes(node, writer);
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

                var patch = new MetadataPatch { Metadata = PosixPatch(current, changes) };
                var info = await _store.PatchMetadataAsync(node.Bucket, node.ObjectName, patch, current.Metageneration, ct).ConfigureAwait(false);
                RecordOwnChange(node, info);
                // A writer that opened the file and has not written yet stages its copy later, from its base: it
                // must carry this change, or its first write would hide it until close.
                await CarryIntoWritersAsync(node, patch, info, ct).ConfigureAwait(false);
                return ObjectAttributes(node, info);
            }
            catch (PreconditionFailedException) when (attempt < MaxPreconditionRetries)
            {
                // Someone else changed the metadata between our stat and the patch: re-read and try again.
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return ErrorMapping.Map(e, _logger, "setattr", node.ToString());
            }
        }
    }

    /// <summary>The metadata keys a chmod/chown/utimes changes on <paramref name="current"/> (gcsfuse's and rclone's mtimes refreshed when present).</summary>
    private static Dictionary<string, string?> PosixPatch(ObjectInfo current, SetAttributes changes)
    {
        var patch = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (changes.ModifiedNs is { } mtime)
        {
            var updated = new Dictionary<string, string>(current.Metadata, StringComparer.Ordinal);
            PosixMetadata.SetModified(updated, mtime);
            foreach (var key in new[] { PosixMetadata.MtimeKey, PosixMetadata.GcsfuseMtimeKey, PosixMetadata.RcloneMtimeKey })
            {
                if (updated.TryGetValue(key, out var value))
                {
                    patch[key] = value;
                }
            }
        }

        foreach (var (key, value) in PosixMetadata.Ownership(changes.Mode, changes.Uid, changes.Gid))
        {
            patch[key] = value;
        }

        return patch;
    }
}
