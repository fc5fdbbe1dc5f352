using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// Opening and creating files. What an open file does next is beside this: ReadWrite (reads, writes, flush, release),
// Staging (its staged copy and the upload of it) and SetAttributes (chmod, chown, utimes, truncate).
public sealed partial class OctueFileSystem
{
    private const int CopyBufferSize = 1 << 20;

    /// <inheritdoc/>
    public ValueTask<VfsResult<ulong>> OpenAsync(ulong node, OpenFlags flags, CancellationToken ct = default) =>
        _nodes.Get(node) is { } n ? OpenNodeAsync(n, flags, ct) : ValueTask.FromResult<VfsResult<ulong>>(VfsError.NotFound);

    /// <summary>Opens a file node: what open(2) does once the node is found (create and truncate open through it too).</summary>
    private async ValueTask<VfsResult<ulong>> OpenNodeAsync(Node n, OpenFlags flags, CancellationToken ct)
    {
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

        // A larger file opened for reading whose metadata this mount holds fresh (the lookup that came with the open,
        // a listing within the TTL), with nothing of that generation cached: the open asks nothing, and the handle's
        // first read revalidates it with its own download, pinned to that generation (ConfirmFirstReadAsync).
        if (!writing && n.Kind == NodeKind.File && !n.Detached && ActiveWriter(n) is null && PendingOf(n) is null &&
            FreshObject(n) is { } fresh && fresh.Size > _reads.WholeObjectLimit && !_reads.HasCached(fresh))
        {
            _metrics.MetadataHit();
            return await OpenAtAsync(n, flags, fresh, writing: false, ct, unconfirmed: true).ConfigureAwait(false);
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

    /// <summary>The node's object as a fresh stat or a fresh listing of its folder shows it, asking nothing; null when neither is fresh.</summary>
    private ObjectInfo? FreshObject(Node n)
    {
        if (_metadata.TryGetStat(n.Bucket, n.ObjectName, out var cached))
        {
            return cached;
        }

        var folder = ObjectNames.ParentPrefix(n.ObjectName);
        return _metadata.PeekListing(n.Bucket, folder) is { } listing &&
               listing.TryGet(n.ObjectName[folder.Length..], out var entry) && entry.Object is { } listed && listed.Name == n.ObjectName
            ? listed
            : null;
    }

    /// <summary>Opens a handle on <paramref name="info"/>, the object's current version (null: none, a local file being created).</summary>
    /// <remarks><paramref name="unconfirmed"/>: <paramref name="info"/> is what this mount held, not asked for now; the first read revalidates it.</remarks>
    private async ValueTask<VfsResult<ulong>> OpenAtAsync(Node n, OpenFlags flags, ObjectInfo? info, bool writing, CancellationToken ct,
        IObjectReader? reader = null, bool unconfirmed = false)
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
            ModifiedNs = info is null ? NowNs() : PosixMetadata.ModifiedNs(info),
            Reader = reader,
            Unconfirmed = unconfirmed,
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
                handle.Writes.Drop()!.Delete();
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
                _listings.InvalidateKnownEntry(parent, n.Name);
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

            // Its bytes live in this handle only: the record is for this mount (the next open checks them again).
            _reads.MarkVerified(info.Bucket, info.Name, info.Generation, remember: false);
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
            var existing = await _resolver.ResolveAsync(dir, name, ct).ConfigureAwait(false);
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

                var existingNode = _resolver.NodeFor(dir, existing.Value, addLookups: 1);
                var opened = await OpenNodeAsync(existingNode, flags | OpenFlags.Write, ct).ConfigureAwait(false);
                if (!opened.IsOk)
                {
                    _nodes.Forget(existingNode.Id, 1);
                    return opened.Error;
                }

                // Not yet known to the kernel: nothing can have released the handle.
                var attributes = await _resolver.GetAttributesAsync(existingNode, _files[opened.Value], ct).ConfigureAwait(false);
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
        return new CreatedFile(_attributes.Staged(node, handle), handle.Id);
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

    /// <summary>True when the file's name was removed or replaced (unlink, a rename over it) while it was open.</summary>
    private bool IsUnlinked(Node node) => node.Detached && node.Parent is not null && _nodes.GetChild(node.Parent, node.Name) != node;

    /// <summary>Records a new object state we caused (upload, patch, copy).</summary>
    private void RecordOwnChange(Node node, ObjectInfo info)
    {
        // The store recorded it in the metadata cache.
        node.LastKnown = info;
    }
}
