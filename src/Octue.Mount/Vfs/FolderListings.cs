using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// What a directory lists: a folder of a bucket (from the metadata cache while fresh, else listed once for everyone
/// who asks meanwhile), a project's buckets, or what the manifest projection shows. It keeps the kernel's cache of
/// names honest (a name a fresh listing no longer shows is dropped from it) and starts the walk prefetch of sibling
/// folders (<see cref="SubfolderPrefetch"/>). Files being written or waiting for their upload are not listings'
/// business: the file system adds them.
/// </summary>
internal sealed class FolderListings
{
    /// <summary>Sibling folders one walk prefetch waits for at most (each waits until the flat listing passes it).</summary>
    private const int MaxPrefetchedFolders = 1_000;

    private readonly IObjectStore _store;
    private readonly IMetadataKnowledge<DirectoryListing> _metadata;
    private readonly NodeTable _nodes;
    private readonly PendingUploads _pending;
    private readonly DirectoryLister _lister;
    private readonly SubfolderPrefetch _prefetch;
    private readonly VfsMetrics _metrics;
    private readonly Func<IInvalidationSink?> _sink;
    private readonly string? _project;

    /// <param name="store">The mount's store (through the metadata cache).</param>
    /// <param name="metadata">What the metadata cache knows.</param>
    /// <param name="nodes">The nodes the kernel knows, whose names a fresh listing may drop from its cache.</param>
    /// <param name="pending">Files whose upload failed for now: listed from their staged copy, never dropped.</param>
    /// <param name="metrics">Where metadata hits and misses are counted.</param>
    /// <param name="logger">Where hidden names and failures are reported.</param>
    /// <param name="sink">The kernel's cache, once an adapter has connected it.</param>
    /// <param name="project">The project whose buckets a project mount's root lists (null for other mounts).</param>
    public FolderListings(IObjectStore store, IMetadataKnowledge<DirectoryListing> metadata, NodeTable nodes, PendingUploads pending,
        VfsMetrics metrics, ILogger logger, Func<IInvalidationSink?> sink, string? project)
    {
        _store = store;
        _metadata = metadata;
        _nodes = nodes;
        _pending = pending;
        _metrics = metrics;
        _sink = sink;
        _project = project;
        _lister = new DirectoryLister(store, metrics, logger);
        _prefetch = new SubfolderPrefetch(store, _lister, logger);
        Projection = new ManifestProjection(store, logger, (bucket, prefix, c) => ListFolderAsync(bucket, prefix, readWhole: true, c, missingBucketIsEmpty: true));
    }

    /// <summary>What the directories of a manifest show (its listings are folders listed here).</summary>
    public ManifestProjection Projection { get; }

    /// <summary>
    /// The visible entries of a directory, from the metadata cache when fresh, else listed once for everyone asking
    /// meanwhile. <paramref name="readWhole"/>: the caller reads it all (opendir), not one name.
    /// </summary>
    public async Task<DirectoryListing> GetAsync(Node dir, bool readWhole, CancellationToken ct)
    {
        if (dir.Role == DirectoryRole.Prefix)
        {
            return await ListFolderAsync(dir.Bucket, dir.ObjectName, readWhole, ct, dir).ConfigureAwait(false);
        }

        var cacheKey = "\0" + dir.Id;
        _metrics.Metadata(hit: _metadata.PeekListing("", cacheKey) is not null);

        return await _metadata.GetOrListAsync("", cacheKey, async c => dir.Role == DirectoryRole.ProjectRoot
            ? await ListBucketsAsync(c).ConfigureAwait(false)
            : await Projection.ListAsync(dir, c).ConfigureAwait(false), readWhole, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The listing of a folder of a bucket, from the metadata cache when fresh, else listed once for everyone asking
    /// meanwhile. When the folder is a directory node the kernel may hold entries of, names the new listing no longer
    /// shows are dropped from the kernel's cache.
    /// </summary>
    /// <remarks><paramref name="missingBucketIsEmpty"/>: a bucket that does not exist lists as empty (the files a dataset names there are missing).</remarks>
    public async Task<DirectoryListing> ListFolderAsync(string bucket, string prefix, bool readWhole, CancellationToken ct, Node? dir = null,
        bool missingBucketIsEmpty = false)
    {
        _metrics.Metadata(hit: _metadata.PeekListing(bucket, prefix) is not null);

        return await _metadata.GetOrListAsync(bucket, prefix, c => ListAsync(bucket, prefix, () => dir, missingBucketIsEmpty, prefetched: null, c),
            readWhole, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Lists a folder of a bucket for the metadata cache: the walk prefetch's listing of it when that completed it,
    /// else its own listing. Names the listing no longer shows are dropped from the kernel's cache of the folder's
    /// directory node (<paramref name="dirOf"/>, asked once the listing is there: the kernel may have looked the
    /// folder up meanwhile), when there is one.
    /// </summary>
    private async Task<DirectoryListing> ListAsync(string bucket, string prefix, Func<Node?> dirOf, bool missingBucketIsEmpty,
        Task<DirectoryListing?>? prefetched, CancellationToken ct)
    {
        var listing = (prefetched is null ? null : await prefetched.ConfigureAwait(false))
            ?? (missingBucketIsEmpty
                ? await _lister.ListOrEmptyAsync(bucket, prefix, ct).ConfigureAwait(false)
                : await _lister.ListAsync(bucket, prefix, ct).ConfigureAwait(false));
        if (dirOf() is { } dir)
        {
            InvalidateVanishedEntries(dir, listing);
        }

        return listing;
    }

    /// <summary>
    /// A second sub-folder of one directory read whole, with its listing not at hand, is taken for a walk
    /// (<c>find</c>, <c>cp -r</c>, <c>du</c>): the listings of this folder and of the sibling folders after it (as the
    /// parent's fresh listing names them) are then fetched together, with one flat listing of the parent
    /// (<see cref="SubfolderPrefetch"/>), in the background; whoever asks for one of them meanwhile waits for it.
    /// </summary>
    public void PrefetchSiblingsOnWalk(Node dir)
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
            if (_metadata.TryStartListing(bucket, folder, c => ListAsync(bucket, folder,
                    () => _nodes.GetChild(parent, name) is { IsDirectory: true } known && known.ObjectName == folder ? known : null,
                    missingBucketIsEmpty: false, slot.Task, c)))
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
    /// Drops from the kernel's dentry cache the names it holds under <paramref name="dir"/> that a fresh listing no
    /// longer shows, or shows as another kind: another client deleted or replaced them, and the kernel would
    /// otherwise trust its entry until the entry timeout. Files created here and not uploaded yet are not listed and stay.
    /// </summary>
    private void InvalidateVanishedEntries(Node dir, DirectoryListing listing)
    {
        if (_sink() is not { } sink)
        {
            return;
        }

        foreach (var child in _nodes.KnownChildren(dir))
        {
            if (listing.TryGet(child.Name, out var entry) && entry.Kind == child.Kind)
            {
                continue;
            }

            if (child.ActiveWriter() is null && !dir.PendingCreates.ContainsKey(child.Name) && _pending.Of(child) is null)
            {
                sink.InvalidateEntry(dir.Id, child.Name);
            }
        }
    }

    /// <summary>A name the kernel holds an entry for was found missing: its dentry must not outlive the object.</summary>
    public void InvalidateKnownEntry(Node dir, string name)
    {
        if (_sink() is { } sink && _nodes.GetChild(dir, name) is { LookupCount: > 0 } known && known.ActiveWriter() is null && _pending.Of(known) is null)
        {
            sink.InvalidateEntry(dir.Id, name);
        }
    }

    private async Task<DirectoryListing> ListBucketsAsync(CancellationToken ct)
    {
        var buckets = await _store.ListBucketsAsync(_project!, ct).ConfigureAwait(false);
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
