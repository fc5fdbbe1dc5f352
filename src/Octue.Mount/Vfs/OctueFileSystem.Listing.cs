namespace Octue.Mount.Vfs;

// Directory listings: opendir, readdir and releasedir, and the listings they read (cached, or asked of the store).
public sealed partial class OctueFileSystem
{
    private const int ReadDirectoryBatch = 512;

    /// <summary>Sibling folders one walk prefetch waits for at most (each waits until the flat listing passes it).</summary>
    private const int MaxPrefetchedFolders = 1_000;

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

        PrefetchSiblingsOnWalk(n);
        DirectoryListing listing;
        try
        {
            listing = WithPendingCreates(n, await GetListingAsync(n, readWhole: true, ct).ConfigureAwait(false));
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
            result.Add(new DirectoryEntry("..", _attributes.Directory(up, KnownPlaceholder(up)), 2));
        }

        for (var i = (int)Math.Max(0, cookie - 2); i < entries.Count && result.Count < ReadDirectoryBatch; i++)
        {
            var entry = entries[i];
            var node = NodeFor(dir, entry, addLookups: 0);
            lock (handle.Sync)
            {
                handle.EntryNodes.Add(node);
            }

            result.Add(new DirectoryEntry(entry.Name, AttributesOf(node, entry), i + 3));
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
    /// A second sub-folder of one directory read whole, with its listing not at hand, is taken for a walk
    /// (<c>find</c>, <c>cp -r</c>, <c>du</c>): the listings of this folder and of the sibling folders after it (as the
    /// parent's fresh listing names them) are then fetched together, with one flat listing of the parent
    /// (<see cref="SubfolderPrefetch"/>), in the background; whoever asks for one of them meanwhile waits for it.
    /// </summary>
    private void PrefetchSiblingsOnWalk(Node dir)
    {
        if (dir.Role != DirectoryRole.Prefix || dir.Parent is not { Role: DirectoryRole.Prefix } parent || parent.Bucket != dir.Bucket ||
            _metadata.PeekListing(dir.Bucket, dir.ObjectName) is not null ||
            Interlocked.Increment(ref parent.SubfoldersRead) < 2 ||
            _metadata.PeekListing(parent.Bucket, parent.ObjectName) is not { } siblings)
        {
            return;
        }

        var folders = new List<string>();
        foreach (var entry in siblings.Entries)
        {
            if (entry.Kind == NodeKind.Directory && entry.Role == DirectoryRole.Prefix && entry.Bucket == dir.Bucket &&
                string.CompareOrdinal(entry.ObjectName, dir.ObjectName) >= 0)
            {
                folders.Add(entry.ObjectName);
            }
        }

        if (folders.Count < 2 || Interlocked.CompareExchange(ref parent.Prefetching, 1, 0) != 0)
        {
            return;
        }

        // UTF-16 order (CompareOrdinal) and GCS's UTF-8 byte order differ only beyond the BMP's private-use area;
        // the first folder is the listing's start, so it must be the lowest in GCS's order: it is the folder asked for.
        folders.Sort(string.CompareOrdinal);
        folders.Remove(dir.ObjectName);
        folders.Insert(0, dir.ObjectName);
        if (folders.Count > MaxPrefetchedFolders)
        {
            folders.RemoveRange(MaxPrefetchedFolders, folders.Count - MaxPrefetchedFolders);
        }

        var slots = new Dictionary<string, TaskCompletionSource<DirectoryListing?>>(StringComparer.Ordinal);
        foreach (var folder in folders)
        {
            var slot = new TaskCompletionSource<DirectoryListing?>(TaskCreationOptions.RunContinuationsAsynchronously);
            var bucket = dir.Bucket;
            var name = folder[parent.ObjectName.Length..^1];
            if (_metadata.TryStartListing(bucket, folder, async c =>
                {
                    var listing = await slot.Task.ConfigureAwait(false) ?? await _lister.ListAsync(bucket, folder, c).ConfigureAwait(false);
                    if (_nodes.GetChild(parent, name) is { IsDirectory: true } known && known.ObjectName == folder)
                    {
                        InvalidateVanishedEntries(known, listing);
                    }

                    return listing;
                }))
            {
                slots[folder] = slot;
            }
        }

        if (slots.Count == 0)
        {
            Volatile.Write(ref parent.Prefetching, 0);
            return;
        }

        _ = PrefetchAsync(parent, folders, slots);
    }

    private async Task PrefetchAsync(Node parent, List<string> folders, Dictionary<string, TaskCompletionSource<DirectoryListing?>> slots)
    {
        try
        {
            await _prefetch.RunAsync(parent.Bucket, parent.ObjectName, folders, slots).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref parent.Prefetching, 0);
        }
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

    /// <summary>
    /// The visible entries of a directory, from the metadata cache when fresh, else listed once for everyone asking
    /// meanwhile. <paramref name="readWhole"/>: the caller reads it all (opendir), not one name.
    /// </summary>
    private async Task<DirectoryListing> GetListingAsync(Node dir, bool readWhole, CancellationToken ct)
    {
        if (dir.Role == DirectoryRole.Prefix)
        {
            return await ListFolderAsync(dir.Bucket, dir.ObjectName, readWhole, ct, dir).ConfigureAwait(false);
        }

        var cacheKey = "\0" + dir.Id;
        CountMetadata(hit: _metadata.PeekListing("", cacheKey) is not null);

        return await _metadata.GetOrListAsync("", cacheKey, async c => dir.Role == DirectoryRole.ProjectRoot
            ? await ListBucketsAsync(c).ConfigureAwait(false)
            : await _projection.ListAsync(dir, c).ConfigureAwait(false), readWhole, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The listing of a folder of a bucket, from the metadata cache when fresh, else listed once for everyone asking
    /// meanwhile. When the folder is a directory node the kernel may hold entries of, names the new listing no longer
    /// shows are dropped from the kernel's cache.
    /// </summary>
    /// <remarks><paramref name="missingBucketIsEmpty"/>: a bucket that does not exist lists as empty (the files a dataset names there are missing).</remarks>
    private async Task<DirectoryListing> ListFolderAsync(string bucket, string prefix, bool readWhole, CancellationToken ct, Node? dir = null,
        bool missingBucketIsEmpty = false)
    {
        CountMetadata(hit: _metadata.PeekListing(bucket, prefix) is not null);

        return await _metadata.GetOrListAsync(bucket, prefix, async c =>
        {
            var listing = missingBucketIsEmpty
                ? await _lister.ListOrEmptyAsync(bucket, prefix, c).ConfigureAwait(false)
                : await _lister.ListAsync(bucket, prefix, c).ConfigureAwait(false);
            if (dir is not null)
            {
                InvalidateVanishedEntries(dir, listing);
            }

            return listing;
        }, readWhole, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Drops from the kernel's dentry cache the names it holds under <paramref name="dir"/> that a fresh listing no
    /// longer shows, or shows as another kind: another client deleted or replaced them, and the kernel would
    /// otherwise trust its entry until the entry timeout. Files created here and not uploaded yet are not listed and stay.
    /// </summary>
    private void InvalidateVanishedEntries(Node dir, DirectoryListing listing)
    {
        if (InvalidationSink is not { } sink)
        {
            return;
        }

        foreach (var child in _nodes.KnownChildren(dir))
        {
            if (listing.TryGet(child.Name, out var entry) && entry.Kind == child.Kind)
            {
                continue;
            }

            if (ActiveWriter(child) is null && !dir.PendingCreates.ContainsKey(child.Name) && PendingOf(child) is null)
            {
                sink.InvalidateEntry(dir.Id, child.Name);
            }
        }
    }

    /// <summary>A name the kernel holds an entry for was found missing: its dentry must not outlive the object.</summary>
    private void InvalidateKnownEntry(Node dir, string name)
    {
        if (InvalidationSink is { } sink && _nodes.GetChild(dir, name) is { LookupCount: > 0 } known && ActiveWriter(known) is null && PendingOf(known) is null)
        {
            sink.InvalidateEntry(dir.Id, name);
        }
    }

    private async Task<DirectoryListing> ListBucketsAsync(CancellationToken ct)
    {
        var buckets = await _store.ListBucketsAsync(_options.Source.Project!, ct).ConfigureAwait(false);
        var entries = new List<ListingEntry>(buckets.Count);
        foreach (var bucket in buckets)
        {
            if (FileNameErrors.Check(bucket) == VfsError.None)
            {
                entries.Add(new ListingEntry(bucket, NodeKind.Directory, null, bucket, ""));
            }
        }

        return new DirectoryListing(entries, null);
    }
}
