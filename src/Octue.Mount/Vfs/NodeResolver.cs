using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// Node resolution: what a name in a directory is (lookup), what a node is now (getattr), and the attributes both
/// answer with. A name is found in a fresh listing, else with one listing of the name (<see cref="NameProbe"/>,
/// asked through the metadata cache, which records what it settles); a file's object from a cached stat or its
/// folder's fresh listing, else a stat. A file being written is what its writer's staged copy holds, a file whose
/// upload failed for now what its kept copy holds. A manifest's dataset node becomes what its dataset is on its
/// first use.
/// </summary>
internal sealed class NodeResolver
{
    private readonly IObjectStore _store;
    private readonly IMetadataKnowledge<DirectoryListing> _metadata;
    private readonly NodeTable _nodes;
    private readonly FolderListings _listings;
    private readonly PendingUploads _pending;
    private readonly AttributeBuilder _attributes;
    private readonly DirectoryAttributes _directories;
    private readonly VfsMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Func<IInvalidationSink?> _sink;
    private readonly uint _fileMode;

    public NodeResolver(IObjectStore store, IMetadataKnowledge<DirectoryListing> metadata, NodeTable nodes, FolderListings listings,
        PendingUploads pending, AttributeBuilder attributes, VfsMetrics metrics, ILogger logger, Func<IInvalidationSink?> sink, uint fileMode)
    {
        _store = store;
        _metadata = metadata;
        _nodes = nodes;
        _listings = listings;
        _pending = pending;
        _attributes = attributes;
        _directories = new DirectoryAttributes(store, metadata, listings, attributes, metrics, logger);
        _metrics = metrics;
        _logger = logger;
        _sink = sink;
        _fileMode = fileMode;
    }

    /// <summary>The child <paramref name="name"/> of <paramref name="dir"/>, counted as a lookup the kernel holds.</summary>
    public async ValueTask<VfsResult<NodeAttributes>> LookupAsync(Node dir, string name, CancellationToken ct)
    {
        var projected = await ProjectDatasetAsync(dir, ct).ConfigureAwait(false);
        if (projected != VfsError.None)
        {
            return projected;
        }

        if (!dir.IsDirectory)
        {
            return VfsError.NotDirectory;
        }

        var check = FileNameErrors.Check(name);
        if (check != VfsError.None)
        {
            return check == VfsError.NameTooLong ? VfsError.NameTooLong : VfsError.NotFound;
        }

        // A file created here and not uploaded yet exists only in its staged copy.
        if (_nodes.GetChild(dir, name) is { Kind: NodeKind.File } local && local.ActiveWriter() is { } writer)
        {
            _nodes.AddLookup(local.Id, 1);
            return _attributes.Staged(local, writer);
        }

        // A file whose upload failed for now exists in its staged copy until it is uploaded or removed.
        if (_pending.Of(dir, name) is { } pending)
        {
            var pendingNode = _nodes.GetOrAdd(dir, name, NodeKind.File,
                id => new Node(id, NodeKind.File, dir, name, pending.Bucket, pending.Name), addLookups: 1);
            return _attributes.Pending(pendingNode, pending);
        }

        var resolved = await ResolveAsync(dir, name, ct).ConfigureAwait(false);
        if (!resolved.IsOk)
        {
            if (resolved.Error == VfsError.NotFound)
            {
                _listings.InvalidateKnownEntry(dir, name);
            }

            return resolved.Error;
        }

        var node = NodeFor(dir, resolved.Value, addLookups: 1);
        // Looking up a manifest's dataset is its first use: its folder then shows what it is.
        projected = await ProjectDatasetAsync(node, ct).ConfigureAwait(false);
        if (projected != VfsError.None)
        {
            _nodes.Forget(node.Id, 1);
            return projected;
        }

        return AttributesOf(node, resolved.Value);
    }

    /// <summary>What a node is now; <paramref name="open"/> is the handle fstat was asked through, if any.</summary>
    public async ValueTask<VfsResult<NodeAttributes>> GetAttributesAsync(Node n, FileHandle? open, CancellationToken ct)
    {
        var projected = await ProjectDatasetAsync(n, ct).ConfigureAwait(false);
        if (projected != VfsError.None)
        {
            return projected;
        }

        if (open is { Staged: not null })
        {
            return _attributes.Staged(n, open);
        }

        if (n.IsDirectory)
        {
            return await _directories.OfAsync(n, ct).ConfigureAwait(false);
        }

        if (n.ActiveWriter() is { } writer)
        {
            return _attributes.Staged(n, writer);
        }

        if (_pending.Of(n) is { } pending)
        {
            return _attributes.Pending(n, pending);
        }

        if (n.Detached && (open is not null ? open.Base : n.LastKnown) is { } gone)
        {
            // Unlinked or replaced while open: fstat describes what the handle still reads, with no link left.
            return _attributes.Object(n, gone);
        }

        var info = await CurrentObjectAsync(n, ct).ConfigureAwait(false);
        if (!info.IsOk)
        {
            if (info.Error == VfsError.NotFound && !n.Detached && n.Parent is { } parent)
            {
                _listings.InvalidateKnownEntry(parent, n.Name);
            }

            return info.Error;
        }

        return _attributes.Object(n, info.Value);
    }

    /// <summary>
    /// Makes a manifest's dataset node (<see cref="DirectoryRole.Dataset"/>) what its dataset is, reading the dataset
    /// on the first use of any of its nodes; other nodes are left as they are. Every operation that takes a node (or a
    /// parent) calls this first. A dataset that cannot be reached for good is an empty folder; an error that may pass
    /// fails this operation only, and the next one tries again.
    /// </summary>
    public async ValueTask<VfsError> ProjectDatasetAsync(Node? node, CancellationToken ct)
    {
        if (node is not { Role: DirectoryRole.Dataset, Dataset: { } dataset })
        {
            return VfsError.None;
        }

        try
        {
            // Shared by every waiter, so one caller giving up does not cancel the others' reading.
            var projection = await dataset.ProjectAsync(() => _listings.Projection.ProjectAsync(dataset, CancellationToken.None)).WaitAsync(ct).ConfigureAwait(false);
            node.Project(projection);
            return VfsError.None;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "read dataset", $"'{dataset.Key}' ({dataset.Reference.Path})");
        }
    }

    /// <summary>Directories' attributes, from their placeholder objects.</summary>
    public DirectoryAttributes Directories => _directories;

    /// <summary>The node of a listed entry (made on first sight), holding <paramref name="addLookups"/> more kernel lookups.</summary>
    public Node NodeFor(Node dir, ListingEntry entry, long addLookups)
    {
        var node = _nodes.GetOrAdd(dir, entry.Name, entry.Kind,
            id => new Node(id, entry.Kind, dir, entry.Name, entry.Bucket, entry.ObjectName, entry.Role)
            {
                Folder = entry.Folder,
                Dataset = entry.Dataset,
            },
            addLookups);
        if (entry.Object is not null && !node.IsDirectory)
        {
            ObserveObject(node, entry.Object);
        }

        return node;
    }

    /// <summary>Records the object a node now is; a new generation seen remotely drops the kernel's cached pages.</summary>
    public void ObserveObject(Node node, ObjectInfo info)
    {
        if (node.LastKnown is { } last && last.Generation != info.Generation && node.ActiveWriter() is null)
        {
            _sink()?.InvalidateNode(node.Id);
        }

        node.LastKnown = info;
    }

    /// <summary>The attributes of a listed entry's node (a writer's or a kept copy's when there is one).</summary>
    public NodeAttributes AttributesOf(Node node, ListingEntry entry)
    {
        if (node.IsDirectory)
        {
            return _attributes.Directory(node, entry.Placeholder ?? _directories.KnownPlaceholder(node));
        }

        if (node.ActiveWriter() is { } writer)
        {
            return _attributes.Staged(node, writer);
        }

        if (_pending.Of(node) is { } pending)
        {
            return _attributes.Pending(node, pending);
        }

        if ((entry.Object ?? node.LastKnown) is { } known)
        {
            return _attributes.Object(node, known);
        }

        // A file whose first upload failed: it exists only as kept bytes, shown empty.
        return _attributes.Directory(node) with { Kind = NodeKind.File, Mode = _fileMode, LinkCount = 1 };
    }

    /// <summary>Finds a visible child of a directory: from a cached listing, else with one listing of its name (a stat and a listing of it as a folder when that cannot tell).</summary>
    public async ValueTask<VfsResult<ListingEntry>> ResolveAsync(Node dir, string name, CancellationToken ct)
    {
        try
        {
            if (dir.Role != DirectoryRole.Prefix)
            {
                var virtualListing = await _listings.GetAsync(dir, readWhole: false, ct).ConfigureAwait(false);
                return virtualListing.TryGet(name, out var v) ? v : VfsError.NotFound;
            }

            var bucket = dir.Bucket;
            var prefix = dir.ObjectName;
            if (_metadata.TryGetListing(bucket, prefix) is { } listing)
            {
                _metrics.MetadataHit();
                return listing.TryGet(name, out var e) ? e : VfsError.NotFound;
            }

            if (_metadata.ShouldRefreshWhole(bucket, prefix))
            {
                // The directory is being walked: one listing answers this lookup and the ones that follow.
                var refreshed = await _listings.GetAsync(dir, readWhole: false, ct).ConfigureAwait(false);
                return refreshed.TryGet(name, out var r) ? r : VfsError.NotFound;
            }

            var objectName = prefix + name;
            if (!ObjectLimits.NameFits(objectName))
            {
                // No object can have this name: nothing to ask the store.
                return VfsError.NotFound;
            }

            var subPrefix = objectName + "/";
            if (!ObjectLimits.NameFits(subPrefix))
            {
                // Only a file fits this name: a directory's objects would all be longer.
                var file = await _store.StatAsync(bucket, objectName, ct).ConfigureAwait(false);
                return file is null ? VfsError.NotFound
                    : new ListingEntry(name, PosixMetadata.KindOf(file), file, bucket, objectName);
            }

            var haveDirectory = _metadata.TryGetDirectory(bucket, subPrefix, out var isDirectory);
            if (haveDirectory && isDirectory)
            {
                _metrics.MetadataHit();
                return new ListingEntry(name, NodeKind.Directory, null, bucket, subPrefix);
            }

            var haveStat = _metadata.TryGetStat(bucket, objectName, out var info);
            // Two entries answer a lookup, the name as a directory and as an object: each is a hit or a miss.
            _metrics.Metadata(haveDirectory);
            _metrics.Metadata(haveStat);
            if (!haveDirectory && !haveStat)
            {
                // Neither is known: one listing of the name usually tells both (NameProbe).
                var answer = await _metadata.ProbeNameAsync(bucket, objectName, ct).ConfigureAwait(false);
                info = answer.Object;
                haveStat = true;
                if (answer.IsFolder is { } settled)
                {
                    haveDirectory = true;
                    isDirectory = settled;
                }
            }

            if (haveDirectory && isDirectory)
            {
                // A folder and an object of one name: the folder wins (docs/naming.md).
                return new ListingEntry(name, NodeKind.Directory, null, bucket, subPrefix);
            }

            Task<bool>? probe = haveDirectory ? null : _metadata.ProbeDirectoryAsync(bucket, subPrefix, ct);
            if (!haveStat)
            {
                info = await _store.StatAsync(bucket, objectName, ct).ConfigureAwait(false);
            }

            if (probe is not null && await probe.ConfigureAwait(false))
            {
                return new ListingEntry(name, NodeKind.Directory, null, bucket, subPrefix);
            }

            if (info is null)
            {
                return VfsError.NotFound;
            }

            return new ListingEntry(name, PosixMetadata.KindOf(info), info, bucket, objectName);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "lookup", $"{dir}/{name}");
        }
    }

    /// <summary>The object of a file node: from the stat cache or the parent's cached listing, else a stat.</summary>
    public async ValueTask<VfsResult<ObjectInfo>> CurrentObjectAsync(Node node, CancellationToken ct)
    {
        var bucket = node.Bucket;
        var name = node.ObjectName;
        if (_metadata.TryGetStat(bucket, name, out var cached))
        {
            _metrics.MetadataHit();
            return cached is null ? VfsError.NotFound : cached;
        }

        var folder = ObjectNames.ParentPrefix(name);
        if (_metadata.TryGetListing(bucket, folder) is { } listing &&
            listing.TryGet(name[folder.Length..], out var entry) && entry.Object is { } listed && listed.Name == name)
        {
            _metrics.MetadataHit();
            return listed;
        }

        try
        {
            if (_metadata.ShouldRefreshWhole(bucket, folder))
            {
                // The folder is being walked: one listing answers this stat and the ones that follow. A name it does
                // not show as an object (gone, or shown as a directory) is asked about alone, as before.
                var parent = node.Parent is { Role: DirectoryRole.Prefix } p && p.Bucket == bucket && p.ObjectName == folder ? p : null;
                var refreshed = await _listings.ListFolderAsync(bucket, folder, readWhole: false, ct, parent).ConfigureAwait(false);
                if (refreshed.TryGet(name[folder.Length..], out var fresh) && fresh.Object is { } current && current.Name == name)
                {
                    ObserveObject(node, current);
                    return current;
                }
            }

            _metrics.MetadataMiss();

            var info = await _store.StatAsync(bucket, name, ct).ConfigureAwait(false);
            if (info is null)
            {
                return node.Detached && node.LastKnown is { } last ? last : VfsError.NotFound;
            }

            ObserveObject(node, info);
            return info;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "stat", node.ToString());
        }
    }
}
