namespace Octue.Mount.Vfs;

// opendir, readdir and releasedir: the handles over a listing (FolderListings) and the files only this mount has yet.
public sealed partial class OctueFileSystem
{
    private const int ReadDirectoryBatch = 512;

    /// <inheritdoc/>
    public async ValueTask<VfsResult<ulong>> OpenDirectoryAsync(ulong node, CancellationToken ct = default)
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

        if (!n.IsDirectory)
        {
            return VfsError.NotDirectory;
        }

        _listings.PrefetchSiblingsOnWalk(n);
        DirectoryListing listing;
        try
        {
            listing = WithPendingCreates(n, await _listings.GetAsync(n, readWhole: true, ct).ConfigureAwait(false));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "opendir", n.ToString());
        }

        var handle = new DirectoryHandle(NewHandleId(), n, listing);
        _nodes.AddOpen(n);
        _directories[handle.Id] = handle;
        return handle.Id;
    }

    /// <inheritdoc/>
    public ValueTask<VfsResult<IReadOnlyList<DirectoryEntry>>> ReadDirectoryAsync(ulong directoryHandle, long cookie, CancellationToken ct = default)
    {
        if (!_directories.TryGetValue(directoryHandle, out var handle))
        {
            return ValueTask.FromResult<VfsResult<IReadOnlyList<DirectoryEntry>>>(VfsError.BadHandle);
        }

        var dir = handle.Node;
        var entries = handle.Listing.Entries;
        var result = new List<DirectoryEntry>(Math.Min(ReadDirectoryBatch, entries.Count + 2));
        if (cookie <= 0)
        {
            result.Add(new DirectoryEntry(".", _attributes.Directory(dir, handle.Listing.Placeholder), 1));
        }

        if (cookie <= 1)
        {
            var up = dir.Parent ?? dir;
            result.Add(new DirectoryEntry("..", _attributes.Directory(up, _resolver.Directories.KnownPlaceholder(up)), 2));
        }

        for (var i = (int)Math.Max(0, cookie - 2); i < entries.Count && result.Count < ReadDirectoryBatch; i++)
        {
            var entry = entries[i];
            var node = _resolver.NodeFor(dir, entry, addLookups: 0);
            lock (handle.Sync)
            {
                handle.EntryNodes.Add(node);
            }

            result.Add(new DirectoryEntry(entry.Name, _resolver.AttributesOf(node, entry), i + 3));
        }

        return ValueTask.FromResult<VfsResult<IReadOnlyList<DirectoryEntry>>>(result);
    }

    /// <inheritdoc/>
    public ValueTask<VfsError> ReleaseDirectoryAsync(ulong directoryHandle, CancellationToken ct = default)
    {
        if (!_directories.TryRemove(directoryHandle, out var handle))
        {
            return ValueTask.FromResult(VfsError.BadHandle);
        }

        lock (handle.Sync)
        {
            foreach (var node in handle.EntryNodes)
            {
                _nodes.ReleaseIfUnused(node);
            }
        }

        _nodes.ReleaseOpen(handle.Node);
        return ValueTask.FromResult(VfsError.None);
    }

    /// <summary>
    /// The listing plus files created here and not uploaded yet, and files whose upload failed for now (both exist
    /// only in their staged copy).
    /// </summary>
    private DirectoryListing WithPendingCreates(Node dir, DirectoryListing listing)
    {
        if (dir.PendingCreates.IsEmpty && _pending.Count == 0)
        {
            return listing;
        }

        List<ListingEntry>? added = null;
        foreach (var (name, child) in dir.PendingCreates)
        {
            if (!listing.TryGet(name, out _) && !child.Detached && ActiveWriter(child) is not null)
            {
                (added ??= new List<ListingEntry>()).Add(new ListingEntry(name, NodeKind.File, null, child.Bucket, child.ObjectName));
            }
        }

        AddPendingEntries(dir, listing, ref added);

        if (added is null)
        {
            return listing;
        }

        added.AddRange(listing.Entries);
        return new DirectoryListing(added, listing.Placeholder);
    }
}
