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

        // A file whose upload failed earlier: try again first, so this handle starts from what was saved.
        var retried = await RetryPendingUploadAsync(PendingOf(n), ct).ConfigureAwait(false);
        if (retried != VfsError.None)
        {
            return retried;
        }

        // Close-to-open: every open revalidates against the store, never trusting the metadata cache. A small file
        // opened for reading is revalidated by its download itself: one GET tells the current generation and brings
        // the bytes, where a stat and then a download would be two requests.
        if (!writing && n.Kind == NodeKind.File && n.LastKnown is { } known && known.Size <= _reads.WholeObjectLimit && ActiveWriter(n) is null)
        {
            var whole = await OpenWholeAsync(n, flags, known, ct).ConfigureAwait(false);
            if (whole is { } done)
            {
                return done;
            }
        }

        ObjectInfo? info;
        try
        {
            info = await StatAsync(n.Bucket, n.ObjectName, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "open", n.ToString());
        }

        return await OpenAtAsync(n, flags, info, writing, ct).ConfigureAwait(false);
    }

    /// <summary>Opens a handle on <paramref name="info"/>, the object's current version (null: none, a local file being created).</summary>
    private async ValueTask<VfsResult<ulong>> OpenAtAsync(Node n, OpenFlags flags, ObjectInfo? info, bool writing, CancellationToken ct,
        IObjectReader? reader = null)
    {
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

        var handle = new FileHandle(NewHandleId(), n, flags, info)
        {
            ModifiedNs = info is null ? PosixMetadata.ToNs(DateTimeOffset.UtcNow) : PosixMetadata.ModifiedNs(info),
            Reader = reader,
        };
        if (writing && (flags & OpenFlags.Truncate) != 0)
        {
            var error = await StageAsync(handle, copyContent: false, ct).ConfigureAwait(false);
            if (error != VfsError.None)
            {
                return error;
            }

            try
            {
                await handle.Staged!.MarkBytesChangedAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The open fails: its empty copy must not stay in staging/, where a recovery would upload it.
                handle.Staged!.Delete();
                handle.Staged = null;
                return ErrorMapping.Map(e, _logger, "open", n.ToString());
            }

            handle.ModifiedNs = NowNs();
        }

        Register(handle);
        return handle.Id;
    }

    /// <summary>
    /// Opens a small file for reading with one unpinned GET of the whole object: the response says which generation
    /// it is (close-to-open holds: this is the object as it is now), and its bytes, verified against the object's
    /// CRC32C, serve every read of the handle. The metadata already known describes that generation when the
    /// generation and metageneration match; otherwise one stat brings the new version's metadata. Null when the
    /// object cannot be held in memory: the caller opens it the ordinary way.
    /// </summary>
    private async ValueTask<VfsResult<ulong>?> OpenWholeAsync(Node n, OpenFlags flags, ObjectInfo known, CancellationToken ct)
    {
        WholeObject? whole;
        try
        {
            whole = await _reads.TryFetchWholeAsync(n.Bucket, n.ObjectName, known.Size, ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            _metadata.PutStat(n.Bucket, n.ObjectName, null);
            if (!n.Detached && n.Parent is { } parent)
            {
                InvalidateKnownEntry(parent, n.Name);
            }

            return VfsError.NotFound;
        }
        catch (CorruptionException e)
        {
            // Nothing wrong reaches the reader: the ordinary way downloads again and reports a mismatch that stays
            // (EIO on the read, integrity "failed"), the way a large file's is reported.
            _logger.LogWarning(e, "The download that opened {Object} did not match its hash; opening it the ordinary way", n);
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "open", n.ToString());
        }

        if (whole is null)
        {
            return null;
        }

        await using (whole)
        {
            var info = known;
            if (whole.Generation != known.Generation || whole.Metageneration != known.Metageneration)
            {
                try
                {
                    info = await StatAsync(n.Bucket, n.ObjectName, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    return ErrorMapping.Map(e, _logger, "open", n.ToString());
                }

                if (info is null || info.Generation != whole.Generation)
                {
                    // Replaced again (or deleted) since the download: open what is there now, the ordinary way.
                    return await OpenAtAsync(n, flags, info, writing: false, ct).ConfigureAwait(false);
                }
            }
            else
            {
                _metadata.PutStat(n.Bucket, n.ObjectName, info);
            }

            _reads.MarkVerified(info.Bucket, info.Name, info.Generation);
            return await OpenAtAsync(n, flags, info, writing: false, ct, whole.ToReader(info)).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<VfsResult<CreatedFile>> CreateAsync(ulong parent, string name, uint mode, OpenFlags flags, FileOwner? owner = null, CancellationToken ct = default)
    {
        var projected = await ProjectDatasetNodeAsync(parent, ct).ConfigureAwait(false);
        if (projected != VfsError.None)
        {
            return projected;
        }

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

        var check = FileNameErrors.Check(name);
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

        if (PendingOf(dir, name) is { } pending)
        {
            // The name holds a file whose upload failed: it exists here, and is saved before it is opened again.
            if ((flags & OpenFlags.Exclusive) != 0)
            {
                return VfsError.Exists;
            }

            var retried = await RetryPendingUploadAsync(pending, ct).ConfigureAwait(false);
            if (retried != VfsError.None)
            {
                return retried;
            }
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
            ModifiedNs = NowNs(),
        };
        // Mode and owner are in the sidecar from its first write, so a crash before the upload keeps them.
        var metadata = NewObjectPosixMetadata(mode & 0xFFF, _options.FileMode, owner);
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
            if (h.Failure != VfsError.None)
            {
                return h.Failure == VfsError.Stale ? VfsError.Stale : VfsError.IoError;
            }

            int read;
            if (h.Staged is { } staged)
            {
                read = await staged.ReadAsync(offset, buffer, ct).ConfigureAwait(false);
            }
            else if (h.Node.WriteHandles.Count != 0 && ActiveWriter(h.Node) is { } writer && writer != h &&
                     await ReadThroughWriterAsync(writer, offset, buffer, ct).ConfigureAwait(false) is { } throughWriter)
            {
                read = throughWriter;
            }
            else
            {
                read = await ReadBaseAsync(h, offset, buffer, ct).ConfigureAwait(false);
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

    /// <summary>
    /// A handle of a file that another handle on this mount is writing reads what that writer has staged: one file,
    /// one content, as the kernel's shared page cache shows it anyway (and the size stat reports). Null when the
    /// writer let go of its staged copy meanwhile (released: its upload is then the object this handle was rebased on).
    /// </summary>
    private static async ValueTask<int?> ReadThroughWriterAsync(FileHandle writer, long offset, Memory<byte> buffer, CancellationToken ct)
    {
        await writer.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return writer.Staged is { } staged ? await staged.ReadAsync(offset, buffer, ct).ConfigureAwait(false) : null;
        }
        finally
        {
            writer.Gate.Release();
        }
    }

    /// <summary>
    /// Reads the handle's generation. A read that raced with a rebase or with the switch to a detached copy (its
    /// object gone by the time it asked the store) is retried once on what the handle reads now.
    /// </summary>
    private async ValueTask<int> ReadBaseAsync(FileHandle h, long offset, Memory<byte> buffer, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (h.Base is not { } baseObject)
            {
                return 0;
            }

            var reader = ReaderOf(h, baseObject);
            try
            {
                return await reader.ReadAsync(offset, buffer, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt == 0 && e is ObjectNotFoundException or PreconditionFailedException &&
                                      (h.Reader != reader || h.Base != baseObject))
            {
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
            if (h.Failure != VfsError.None)
            {
                return h.Failure;
            }

            if (h.Staged is null)
            {
                var error = await StageAsync(h, copyContent: true, ct).ConfigureAwait(false);
                if (error != VfsError.None)
                {
                    return WriteMissed(h, error);
                }
            }

            var staged = h.Staged!;
            var at = (h.Flags & OpenFlags.Append) != 0 ? staged.Length : offset;
            if (!ObjectLimits.SizeFits(at + data.Length))
            {
                // Refused before a byte is written, yet the file now lacks this write: what came before it must not
                // be published as the whole file (the first 5 TiB of a larger copy), so it is a missed write.
                return WriteMissed(h, VfsError.FileTooBig);
            }

            await staged.MarkBytesChangedAsync(ct).ConfigureAwait(false);
            await staged.WriteAsync(at, data, ct).ConfigureAwait(false);
            h.ModifiedNs = NowNs();
            _metrics.BytesWritten(data.Length);
            return data.Length;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Interrupted before the bytes were written: the caller may write them again.
            return VfsError.Interrupted;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return WriteMissed(h, ErrorMapping.Map(e, _logger, "write", h.Node.ToString()));
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
                    if (h.Node.Detached)
                    {
                        HandOverUnlinkedContent(h, staged);
                    }

                    staged.Delete();
                }
                else if (IsUnlinked(h.Node))
                {
                    // Removed while its upload was failing: nothing is left to save it for.
                    DropStaged(staged, h.Node.ToString(), "removed");
                }
                else
                {
                    // Not uploaded for a reason that may pass: the bytes stay in staging/, and the file stays listed.
                    KeepPending(staged, h.ModifiedNs, h.ModifiedNs, error);
                }

                h.Staged = null;
            }

            await h.DisposeReadersAsync().ConfigureAwait(false);
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

    // ---- helpers ------------------------------------------------------------------------------------------------

    /// <summary>
    /// The handle's reader of <paramref name="baseObject"/>, opened on first use (concurrent first reads keep one and
    /// dispose the other) and opened again when the handle was rebased onto another generation meanwhile.
    /// </summary>
    private IObjectReader ReaderOf(FileHandle handle, ObjectInfo baseObject)
    {
        while (true)
        {
            var existing = handle.Reader;
            if (existing is not null && SameGeneration(existing.Object, baseObject))
            {
                return existing;
            }

            var created = _reads.OpenReader(baseObject);
            if (handle.ReplaceReader(existing, created))
            {
                return created;
            }

            _ = created.DisposeAsync().AsTask();
        }
    }

    private static bool SameGeneration(ObjectInfo a, ObjectInfo b) =>
        a.Generation == b.Generation && a.Name == b.Name && a.Bucket == b.Bucket;

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
    /// A write, truncation or extension the handle's staged copy could not take (a full or failing disk, or a copy
    /// that could not be made): uploading the copy now would publish an object without that change (the first 64 MB
    /// of a 200 MB copy, say). The copy is discarded at once, which gives its space back and leaves nothing in
    /// staging/ for a recovery to find; the object keeps the bytes it had; the error sticks to the handle, so flush,
    /// fsync and close report it too. An interrupted call changed nothing and is not a missed write.
    /// </summary>
    private VfsError WriteMissed(FileHandle handle, VfsError error)
    {
        if (error is VfsError.Interrupted or VfsError.None)
        {
            return error;
        }

        if (handle.Failure == VfsError.None)
        {
            handle.Failure = error;
        }

        if (handle.Staged is { } staged)
        {
            handle.Staged = null;
            if (staged.Delete())
            {
                _logger.LogError("A change to {Object} could not be written to its staged copy ({Error}): the copy ({Size} bytes) is discarded and not uploaded; the object keeps its last saved content",
                    handle.Node, error, staged.Length);
            }
            else
            {
                _logger.LogCritical("A change to {Object} could not be written to its staged copy ({Error}), and the copy could not be removed: delete {Path} and {Sidecar} before the next mount, which would upload them",
                    handle.Node, error, staged.DataPath, staged.SidecarPath);
            }
        }
        else
        {
            _logger.LogError("A change to {Object} could not be staged ({Error}); nothing of this handle will be uploaded", handle.Node, error);
        }

        return handle.Failure;
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

            if (node.Detached)
            {
                // The first write to a file already unlinked (or renamed over): its bytes go nowhere, not even after
                // a crash.
                await staged.MarkUnlinkedAsync(ct).ConfigureAwait(false);
            }

            handle.Staged = staged;
            _uploader.StreamWhileWritten(staged);
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
    /// Uploads the handle's staged copy when it differs from the object, through the one conditional upload
    /// (<see cref="StagedUploader"/>): preconditions on the copy's base, metadata changed elsewhere merged, a lost race
    /// or a refusal for good kept in conflicts/ (the handle then fails for good: ESTALE, or EIO/EACCES), a failure that
    /// may pass leaving the copy staged. Called with the handle's gate held.
    /// </summary>
    private async ValueTask<VfsError> UploadIfDirtyAsync(FileHandle handle, CancellationToken ct)
    {
        if (handle.Failure != VfsError.None)
        {
            return handle.Failure;
        }

        if (handle.Staged is not { Dirty: true } staged)
        {
            return VfsError.None;
        }

        var node = handle.Node;
        if (IsUnlinked(node))
        {
            // The file was unlinked while open: its bytes have nowhere to go, as on a local disk.
            _logger.LogDebug("Dropping staged changes to unlinked {Object}", node);
            try
            {
                await staged.MarkUploadedAsync(staged.Sidecar.BaseGeneration, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Clean in memory already; release deletes the copy.
                _logger.LogDebug(e, "Could not record dropped changes in {Sidecar}", staged.SidecarPath);
            }

            return VfsError.None;
        }

        // The node's name now (a rename may have moved it since the copy was staged).
        string bucket, name;
        lock (_nodes.SyncRoot)
        {
            (bucket, name) = (node.Bucket, node.ObjectName);
        }

        staged.Sidecar.Bucket = bucket;
        staged.Sidecar.ObjectName = name;
        var result = await _uploader.UploadAsync(staged, handle.ModifiedNs, afterCrash: false, ct).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case StagedUploadOutcome.Uploaded:
                var info = result.Object!;
                handle.Base = info;
                if (handle.Reader is { } oldReader)
                {
                    await oldReader.DisposeAsync().ConfigureAwait(false);
                    handle.Reader = null;
                }

                RecordOwnChange(node, info);
                RebaseOpenHandles(node, info, handle, onlyGeneration: null);
                return VfsError.None;
            case StagedUploadOutcome.LostRace or StagedUploadOutcome.Refused:
                // The bytes are in conflicts/: nothing more of this handle may be uploaded (a later write would
                // stage from the old object again and publish a partial change).
                handle.Staged = null;
                handle.Failure = result.Error;
                _metadata.InvalidateObject(bucket, name);
                return result.Error;
            default:
                return result.Error;
        }
    }

    /// <summary>True when the file's name was removed or replaced (unlink, a rename over it) while it was open.</summary>
    private bool IsUnlinked(Node node) => node.Detached && node.Parent is not null && _nodes.GetChild(node.Parent, node.Name) != node;

    /// <summary>Records a new object state we caused (upload, patch, copy).</summary>
    private void RecordOwnChange(Node node, ObjectInfo info)
    {
        node.LastKnown = info;
        _metadata.ObjectWritten(info);
    }
}
