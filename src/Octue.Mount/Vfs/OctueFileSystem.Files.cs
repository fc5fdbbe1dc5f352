using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// Open files: reads through the read path, writes to a staged copy uploaded with a generation precondition.
public sealed partial class OctueFileSystem
{
    private const int CopyBufferSize = 1 << 20;

    /// <inheritdoc/>
    public async ValueTask<VfsResult<ulong>> OpenAsync(ulong node, OpenFlags flags, CancellationToken ct = default)
    {
        var n = _nodes.Get(node);
        if (n is null)
        {
            return VfsError.NotFound;
        }

        if (n.IsDirectory)
        {
            return VfsError.IsDirectory;
        }

        var writing = (flags & (OpenFlags.Write | OpenFlags.Truncate | OpenFlags.Append)) != 0;
        if (writing && IsReadOnly)
        {
            return VfsError.ReadOnly;
        }

        // Close-to-open: every open revalidates against the store, never trusting the metadata cache.
        ObjectInfo? info;
        try
        {
            info = await StatAsync(n.Bucket, n.ObjectName, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "open", n.ToString());
        }

        if (info is null && ActiveWriter(n) is null)
        {
            return VfsError.NotFound;
        }

        if (info is not null && n.LastKnown is { } last && last.Generation != info.Generation)
        {
            InvalidationSink?.InvalidateNode(n.Id);
        }

        if (info is not null)
        {
            n.LastKnown = info;
        }

        var handle = new FileHandle(NewHandleId(), n, flags, info) { ModifiedNs = info is null ? PosixMetadata.ToNs(DateTimeOffset.UtcNow) : PosixMetadata.ModifiedNs(info) };
        if (writing && (flags & OpenFlags.Truncate) != 0)
        {
            var error = await StageAsync(handle, copyContent: false, ct).ConfigureAwait(false);
            if (error != VfsError.None)
            {
                return error;
            }

            await handle.Staged!.MarkBytesChangedAsync(ct).ConfigureAwait(false);
            handle.ModifiedNs = PosixMetadata.ToNs(DateTimeOffset.UtcNow);
        }

        Register(handle);
        return handle.Id;
    }

    /// <inheritdoc/>
    public async ValueTask<VfsResult<CreatedFile>> CreateAsync(ulong parent, string name, uint mode, OpenFlags flags, CancellationToken ct = default)
    {
        var dir = _nodes.Get(parent);
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

        var check = NameRules.Check(name);
        if (check != VfsError.None)
        {
            return check;
        }

        if (dir.Role != DirectoryRole.Prefix)
        {
            return VfsError.AccessDenied;
        }

        if (!ObjectLimits.NameFits(dir.ObjectName + name))
        {
            // Refused before a byte is staged: the store would refuse the upload at close, and the bytes with it.
            return VfsError.NameTooLong;
        }

        if (_nodes.GetChild(dir, name) is { Kind: NodeKind.File } local && ActiveWriter(local) is not null)
        {
            if ((flags & OpenFlags.Exclusive) != 0)
            {
                return VfsError.Exists;
            }
        }
        else
        {
            var existing = await ResolveAsync(dir, name, ct).ConfigureAwait(false);
            if (existing.IsOk)
            {
                if ((flags & OpenFlags.Exclusive) != 0)
                {
                    return VfsError.Exists;
                }

                if (existing.Value.Kind == NodeKind.Directory)
                {
                    return VfsError.IsDirectory;
                }

                var existingNode = NodeFor(dir, existing.Value, addLookups: 1);
                var opened = await OpenAsync(existingNode.Id, flags | OpenFlags.Write, ct).ConfigureAwait(false);
                if (!opened.IsOk)
                {
                    _nodes.Forget(existingNode.Id, 1);
                    return opened.Error;
                }

                var attributes = await GetAttributesAsync(existingNode.Id, opened.Value, ct).ConfigureAwait(false);
                return attributes.IsOk ? new CreatedFile(attributes.Value, opened.Value) : attributes.Error;
            }

            if (existing.Error != VfsError.NotFound)
            {
                return existing.Error;
            }
        }

        var objectName = dir.ObjectName + name;
        var node = _nodes.GetOrAdd(dir, name, NodeKind.File, id => new Node(id, NodeKind.File, dir, name, dir.Bucket, objectName), addLookups: 1);
        var handle = new FileHandle(NewHandleId(), node, flags | OpenFlags.Write, baseObject: null)
        {
            ModifiedNs = PosixMetadata.ToNs(DateTimeOffset.UtcNow),
        };
        // The mode is in the sidecar from its first write, so a crash before the upload keeps it. 0 is a mode
        // (umask 777), not "none": only the mount's default goes unrecorded.
        var permissions = mode & 0xFFF;
        var metadata = permissions != _options.FileMode
            ? new Dictionary<string, string> { [PosixMetadata.ModeKey] = PosixMetadata.FormatMode(permissions) }
            : null;
        var error = await StageAsync(handle, copyContent: false, ct, metadata).ConfigureAwait(false);
        if (error != VfsError.None)
        {
            _nodes.Forget(node.Id, 1);
            return error;
        }

        Register(handle);
        dir.PendingCreates[name] = node;
        return new CreatedFile(StagedAttributes(node, handle), handle.Id);
    }

    /// <inheritdoc/>
    public async ValueTask<VfsResult<int>> ReadAsync(ulong handle, long offset, Memory<byte> buffer, CancellationToken ct = default)
    {
        if (!_files.TryGetValue(handle, out var h))
        {
            return VfsError.BadHandle;
        }

        if (offset < 0)
        {
            return VfsError.InvalidArgument;
        }

        // Read-only handles never change state after open: the kernel's parallel reads run concurrently (the
        // reader is safe for that). Writable handles serialise reads with writes and uploads.
        var gated = h.CanWrite;
        if (gated)
        {
            await h.Gate.WaitAsync(ct).ConfigureAwait(false);
        }

        try
        {
            int read;
            if (h.Staged is { } staged)
            {
                read = await staged.ReadAsync(offset, buffer, ct).ConfigureAwait(false);
            }
            else if (h.Base is { } baseObject)
            {
                read = await ReaderOf(h, baseObject).ReadAsync(offset, buffer, ct).ConfigureAwait(false);
            }
            else
            {
                read = 0;
            }

            _metrics.BytesRead(read);
            return read;
        }
        catch (CorruptionException e)
        {
            _metrics.IntegrityFailure();
            _logger.LogError(e, "Integrity check failed reading {Object}: the read is refused", h.Node);
            return VfsError.IoError;
        }
        catch (Exception e) when (e is ObjectNotFoundException or PreconditionFailedException)
        {
            // The generation this handle was opened on was replaced or deleted: reopen to see the new one.
            _logger.LogInformation("{Object} changed while open for reading; the handle is stale", h.Node);
            return VfsError.Stale;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "read", h.Node.ToString());
        }
        finally
        {
            if (gated)
            {
                h.Gate.Release();
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask<VfsResult<int>> WriteAsync(ulong handle, long offset, ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        if (!_files.TryGetValue(handle, out var h))
        {
            return VfsError.BadHandle;
        }

        if (!h.CanWrite)
        {
            return VfsError.BadHandle;
        }

        if (offset < 0)
        {
            return VfsError.InvalidArgument;
        }

        await h.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (h.Conflicted)
            {
                return VfsError.Stale;
            }

            if (h.Staged is null)
            {
                var error = await StageAsync(h, copyContent: true, ct).ConfigureAwait(false);
                if (error != VfsError.None)
                {
                    return error;
                }
            }

            var staged = h.Staged!;
            var at = (h.Flags & OpenFlags.Append) != 0 ? staged.Length : offset;
            if (!ObjectLimits.SizeFits(at + data.Length))
            {
                return VfsError.FileTooBig;
            }

            await staged.MarkBytesChangedAsync(ct).ConfigureAwait(false);
            await staged.WriteAsync(at, data, ct).ConfigureAwait(false);
            h.ModifiedNs = PosixMetadata.ToNs(DateTimeOffset.UtcNow);
            _metrics.BytesWritten(data.Length);
            return data.Length;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "write", h.Node.ToString());
        }
        finally
        {
            h.Gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask<VfsError> FlushAsync(ulong handle, CancellationToken ct = default)
    {
        if (!_files.TryGetValue(handle, out var h))
        {
            return VfsError.BadHandle;
        }

        await h.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await UploadIfDirtyAsync(h, ct).ConfigureAwait(false);
        }
        finally
        {
            h.Gate.Release();
        }
    }

    /// <inheritdoc/>
    public ValueTask<VfsError> FsyncAsync(ulong handle, CancellationToken ct = default) => FlushAsync(handle, ct);

    /// <inheritdoc/>
    public async ValueTask<VfsError> ReleaseAsync(ulong handle, CancellationToken ct = default)
    {
        if (!_files.TryRemove(handle, out var h))
        {
            return VfsError.BadHandle;
        }

        await h.Gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            var error = await UploadIfDirtyAsync(h, ct).ConfigureAwait(false);
            if (h.Staged is { } staged)
            {
                if (error == VfsError.None)
                {
                    staged.Delete();
                }
                else
                {
                    // Not uploaded and not a lost race: the bytes stay in staging/ and the next start retries.
                    staged.Dispose();
                    _logger.LogError("Changes to {Object} could not be uploaded ({Error}); kept in {Path} and retried at the next start",
                        h.Node, error, staged.DataPath);
                }

                h.Staged = null;
            }

            if (h.Reader is { } reader)
            {
                await reader.DisposeAsync().ConfigureAwait(false);
                h.Reader = null;
            }

            return error;
        }
        finally
        {
            lock (h.Node.WriteHandles)
            {
                h.Node.WriteHandles.Remove(h);
            }

            if (h.Node.Parent is { } parent && parent.PendingCreates.TryGetValue(h.Node.Name, out var pending) && pending == h.Node && ActiveWriter(h.Node) is null)
            {
                parent.PendingCreates.TryRemove(h.Node.Name, out _);
            }

            _nodes.ReleaseOpen(h.Node);
            h.Gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask<VfsResult<NodeAttributes>> SetAttributesAsync(ulong node, ulong? handle, SetAttributes changes, CancellationToken ct = default)
    {
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

    // ---- helpers ------------------------------------------------------------------------------------------------

    /// <summary>The handle's reader, opened on first use; concurrent first reads keep one and dispose the other.</summary>
    private IObjectReader ReaderOf(FileHandle handle, ObjectInfo baseObject)
    {
        if (handle.Reader is { } existing)
        {
            return existing;
        }

        var created = _reads.OpenReader(baseObject);
        var winner = Interlocked.CompareExchange(ref handle.ReaderField, created, null);
        if (winner is not null)
        {
            _ = created.DisposeAsync().AsTask();
            return winner;
        }

        return created;
    }

    private void Register(FileHandle handle)
    {
        _nodes.AddOpen(handle.Node);
        if (handle.CanWrite)
        {
            lock (handle.Node.WriteHandles)
            {
                handle.Node.WriteHandles.Add(handle);
            }
        }

        _files[handle.Id] = handle;
    }

    /// <summary>
    /// Creates the handle's staged copy (sidecar first), filled with the object's verified bytes when asked. A new
    /// file's sidecar starts with <paramref name="newFileMetadata"/>; a copy of an object with the object's metadata.
    /// </summary>
    private async ValueTask<VfsError> StageAsync(FileHandle handle, bool copyContent, CancellationToken ct,
        IReadOnlyDictionary<string, string>? newFileMetadata = null)
    {
        var node = handle.Node;
        var baseObject = handle.Base;
        StagedFile? staged = null;
        try
        {
            var contentType = baseObject is null ? ContentTypes.Guess(node.Name) : baseObject.ContentType;
            staged = await _staging.CreateAsync(node.Bucket, node.ObjectName, baseObject?.Generation ?? 0, contentType,
                baseObject?.Metadata ?? newFileMetadata ?? ObjectInfo.EmptyMetadata, ct, baseObject?.Metageneration).ConfigureAwait(false);
            if (copyContent && baseObject is { Size: > 0 })
            {
                var reader = ReaderOf(handle, baseObject);
                var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(CopyBufferSize);
                try
                {
                    long offset = 0;
                    while (offset < baseObject.Size)
                    {
                        var read = await reader.ReadAsync(offset, buffer.AsMemory(0, CopyBufferSize), ct).ConfigureAwait(false);
                        if (read == 0)
                        {
                            throw new CorruptionException($"{node} ended at {offset} of {baseObject.Size} bytes");
                        }

                        await staged.WriteAsync(offset, buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                        offset += read;
                    }
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            handle.Staged = staged;
            return VfsError.None;
        }
        catch (Exception e) when (baseObject is not null && e is ObjectNotFoundException or PreconditionFailedException)
        {
            // The generation this handle opened was replaced or deleted elsewhere before its first write: writing on
            // top of it would lose the other writer's update, so the handle is stale, as it would be at upload.
            staged?.Delete();
            _metrics.Conflict();
            _logger.LogWarning("{Object} changed elsewhere before this handle's first write; the handle is stale", node);
            return VfsError.Stale;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            staged?.Delete();
            if (e is CorruptionException)
            {
                _metrics.IntegrityFailure();
            }

            return ErrorMapping.Map(e, _logger, "stage", node.ToString());
        }
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

            if (writer.Conflicted)
            {
                return VfsError.Stale;
            }

            if (writer.Staged is null)
            {
                var error = await StageAsync(writer, copyContent: changes.Size is not 0, ct).ConfigureAwait(false);
                if (error != VfsError.None)
                {
                    return error;
                }
            }

            var staged = writer.Staged!;
            if (changes.Size is { } size)
            {
                await staged.MarkBytesChangedAsync(ct).ConfigureAwait(false);
                staged.SetLength(size);
                writer.ModifiedNs = PosixMetadata.ToNs(DateTimeOffset.UtcNow);
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

                var patch = PosixPatch(current, changes);
                var info = await _store.PatchMetadataAsync(node.Bucket, node.ObjectName, new MetadataPatch { Metadata = patch },
                    current.Metageneration, ct).ConfigureAwait(false);
                Updated(node, info);
                return ObjectAttributes(node.Id, info);
            }
            catch (PreconditionFailedException) when (attempt < 2)
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

    /// <summary>
    /// Uploads the staged copy when it differs from the object: CRC32C sent and checked by the store, and
    /// IfGenerationMatch = the generation the copy was based on (0 for a new file), plus IfMetagenerationMatch = the
    /// metageneration its metadata was merged with, so a metadata change made elsewhere meanwhile is never
    /// overwritten unseen: it is merged again and the upload retried. A lost race on the bytes keeps them in
    /// conflicts/ and gives Stale. Called with the handle's gate held.
    /// </summary>
    private async ValueTask<VfsError> UploadIfDirtyAsync(FileHandle handle, CancellationToken ct)
    {
        if (handle.Conflicted)
        {
            return VfsError.Stale;
        }

        if (handle.Staged is not { Dirty: true } staged)
        {
            return VfsError.None;
        }

        var node = handle.Node;
        if (node.Detached && node.Parent is not null && _nodes.GetChild(node.Parent, node.Name) != node)
        {
            // The file was unlinked while open: its bytes have nowhere to go, as on a local disk.
            _logger.LogDebug("Dropping staged changes to unlinked {Object}", node);
            await staged.MarkUploadedAsync(staged.Sidecar.BaseGeneration, ct).ConfigureAwait(false);
            return VfsError.None;
        }

        var bucket = node.Bucket;
        var name = node.ObjectName;
        for (var metadataRaces = 0; ; metadataRaces++)
        {
            try
            {
                await MergeRemoteMetadataChangesAsync(handle, staged, bucket, name, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return ErrorMapping.Map(e, _logger, "upload", $"gs://{bucket}/{name}");
            }

            var metadata = staged.Sidecar.Metadata;
            PosixMetadata.SetModified(metadata, handle.ModifiedNs);
            staged.Sidecar.Bucket = bucket;
            staged.Sidecar.ObjectName = name;
            var baseGeneration = staged.Sidecar.BaseGeneration;
            long? baseMetageneration = baseGeneration != 0 && handle.Base is { } mergedWith && mergedWith.Generation == baseGeneration
                ? mergedWith.Metageneration
                : null;
            try
            {
                ObjectInfo info;
                await using (var content = staged.OpenReadStream())
                {
                    info = await _store.UploadAsync(bucket, name, content, new UploadOptions
                    {
                        ContentType = staged.Sidecar.ContentType,
                        Metadata = metadata,
                        IfGenerationMatch = baseGeneration,
                        IfMetagenerationMatch = baseMetageneration,
                    }, ct).ConfigureAwait(false);
                }

                _metrics.Upload(info.Size);
                await staged.MarkUploadedAsync(info, ct).ConfigureAwait(false);
                await AdoptIntoCacheAsync(info, staged.DataPath, ct).ConfigureAwait(false);
                handle.Base = info;
                if (handle.Reader is { } oldReader)
                {
                    await oldReader.DisposeAsync().ConfigureAwait(false);
                    handle.Reader = null;
                }

                Updated(node, info);
                return VfsError.None;
            }
            catch (PreconditionFailedException e)
            {
                if (baseMetageneration is not null && metadataRaces < MaxPreconditionRetries)
                {
                    var onlyMetadataChanged = await SameGenerationAsync(bucket, name, baseGeneration, ct).ConfigureAwait(false);
                    if (!onlyMetadataChanged.IsOk)
                    {
                        return onlyMetadataChanged.Error;
                    }

                    if (onlyMetadataChanged.Value)
                    {
                        // Someone changed the metadata after our merge read it: merge their change and upload again.
                        _logger.LogDebug("Metadata of gs://{Bucket}/{Name} changed during its upload; merging again", bucket, name);
                        continue;
                    }
                }

                var reason = baseGeneration == 0
                    ? "the object was created by someone else meanwhile"
                    : baseMetageneration is not null && metadataRaces >= MaxPreconditionRetries
                        ? "its metadata kept changing during the upload"
                        : $"the object changed since generation {baseGeneration}";
                var kept = _staging.KeepConflict(staged, reason);
                handle.Staged = null;
                handle.Conflicted = true;
                _metrics.Conflict();
                _metadata.InvalidateObject(bucket, name);
                _logger.LogWarning(e, "Upload of gs://{Bucket}/{Name} lost a race ({Reason}); your bytes are kept in {Path}", bucket, name, reason, kept);
                return VfsError.Stale;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return ErrorMapping.Map(e, _logger, "upload", $"gs://{bucket}/{name}");
            }
        }
    }

    /// <summary>True when the object still has the generation (an upload then failed on its metageneration alone).</summary>
    private async ValueTask<VfsResult<bool>> SameGenerationAsync(string bucket, string name, long generation, CancellationToken ct)
    {
        try
        {
            var current = await StatAsync(bucket, name, ct).ConfigureAwait(false);
            return current is not null && current.Generation == generation;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "upload", $"gs://{bucket}/{name}");
        }
    }

    /// <summary>
    /// An upload replaces the object's metadata with the staged copy's. When someone changed the metadata since the
    /// copy was staged (a tag set by the SDK, a chmod from another mount), their keys are taken and only the keys this
    /// handle changed are applied over them, so a metadata change is not lost to a content upload.
    /// </summary>
    private async ValueTask MergeRemoteMetadataChangesAsync(FileHandle handle, StagedFile staged, string bucket, string name, CancellationToken ct)
    {
        if (handle.Base is not { } baseObject || baseObject.Generation != staged.Sidecar.BaseGeneration)
        {
            return;
        }

        var current = await StatAsync(bucket, name, ct).ConfigureAwait(false);
        if (current is null || current.Generation != baseObject.Generation || current.Metageneration == baseObject.Metageneration)
        {
            // Absent or rewritten: the generation precondition decides. Unchanged: nothing to merge.
            return;
        }

        var merged = MetadataMerge.Merge(current.Metadata, baseObject.Metadata, staged.Sidecar.Metadata);
        staged.Sidecar.Metadata = merged;
        if (current.ContentType != baseObject.ContentType && staged.Sidecar.ContentType == baseObject.ContentType)
        {
            staged.Sidecar.ContentType = current.ContentType;
        }

        // The sidecar's base moves with the merge, so a recovery after a crash merges from the same point.
        staged.Sidecar.BaseMetageneration = current.Metageneration;
        staged.Sidecar.BaseMetadata = new Dictionary<string, string>(current.Metadata, StringComparer.Ordinal);
        handle.Base = current;
    }

    /// <summary>A confirmed upload's bytes serve later reads (and mark the generation verified).</summary>
    private async ValueTask AdoptIntoCacheAsync(ObjectInfo info, string path, CancellationToken ct)
    {
        try
        {
            if (!await _reads.AdoptUploadedAsync(info, path, ct).ConfigureAwait(false))
            {
                _reads.MarkVerified(info.Bucket, info.Name, info.Generation);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The upload is confirmed; failing to seed the local cache only costs a download later.
            _logger.LogDebug(e, "Could not seed the content cache with {Path}", path);
            _reads.MarkVerified(info.Bucket, info.Name, info.Generation);
        }
    }

    /// <summary>Records a new object state we caused (upload, patch, copy).</summary>
    private void Updated(Node node, ObjectInfo info)
    {
        node.LastKnown = info;
        _metadata.InvalidateObject(info.Bucket, info.Name);
        _metadata.PutStat(info.Bucket, info.Name, info);
    }
}
