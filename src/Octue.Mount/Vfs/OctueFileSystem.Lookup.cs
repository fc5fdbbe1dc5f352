using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// Name resolution and attributes: lookup, getattr, and the stat and resolve steps they share (listings are in .Listing).
public sealed partial class OctueFileSystem
{
    /// <inheritdoc/>
    public async ValueTask<VfsResult<NodeAttributes>> LookupAsync(ulong parent, string name, CancellationToken ct = default)
    {
        var dir = _nodes.Get(parent);
        if (dir is null)
        {
            return VfsError.NotFound;
        }

        var projected = await ProjectDatasetNodeAsync(dir, ct).ConfigureAwait(false);
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
        if (_nodes.GetChild(dir, name) is { Kind: NodeKind.File } local && ActiveWriter(local) is { } writer)
        {
            _nodes.AddLookup(local.Id, 1);
            return StagedAttributes(local, writer);
        }

        // A file whose upload failed for now exists in its staged copy until it is uploaded or removed.
        if (PendingOf(dir, name) is { } pending)
        {
            var pendingNode = _nodes.GetOrAdd(dir, name, NodeKind.File,
                id => new Node(id, NodeKind.File, dir, name, pending.Bucket, pending.Name), addLookups: 1);
            return PendingAttributes(pendingNode, pending);
        }

        var resolved = await ResolveAsync(dir, name, ct).ConfigureAwait(false);
        if (!resolved.IsOk)
        {
            if (resolved.Error == VfsError.NotFound)
            {
                InvalidateKnownEntry(dir, name);
            }

            return resolved.Error;
        }

        var node = NodeFor(dir, resolved.Value, addLookups: 1);
        // Looking up a manifest's dataset is its first use: its folder then shows what it is.
        projected = await ProjectDatasetNodeAsync(node, ct).ConfigureAwait(false);
        if (projected != VfsError.None)
        {
            Forget(node.Id, 1);
            return projected;
        }

        return AttributesOf(node, resolved.Value);
    }

    /// <inheritdoc/>
    public async ValueTask<VfsResult<NodeAttributes>> GetAttributesAsync(ulong node, ulong? handle = null, CancellationToken ct = default)
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

        if (handle is { } h && _files.TryGetValue(h, out var fh) && fh.Staged is not null)
        {
            return StagedAttributes(n, fh);
        }

        if (n.IsDirectory)
        {
            return await DirectoryAttributesAsync(n, ct).ConfigureAwait(false);
        }

        if (ActiveWriter(n) is { } writer)
        {
            return StagedAttributes(n, writer);
        }

        if (PendingOf(n) is { } pending)
        {
            return PendingAttributes(n, pending);
        }

        if (n.Detached && (handle is { } held && _files.TryGetValue(held, out var open) ? open.Base : n.LastKnown) is { } gone)
        {
            // Unlinked or replaced while open: fstat describes what the handle still reads, with no link left.
            return ObjectAttributes(n, gone);
        }

        var info = await CurrentObjectAsync(n, ct).ConfigureAwait(false);
        if (!info.IsOk)
        {
            if (info.Error == VfsError.NotFound && !n.Detached && n.Parent is { } parent)
            {
                InvalidateKnownEntry(parent, n.Name);
            }

            return info.Error;
        }

        return ObjectAttributes(n, info.Value);
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private Node NodeFor(Node dir, ListingEntry entry, long addLookups)
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
    private void ObserveObject(Node node, ObjectInfo info)
    {
        if (node.LastKnown is { } last && last.Generation != info.Generation && ActiveWriter(node) is null)
        {
            InvalidationSink?.InvalidateNode(node.Id);
        }

        node.LastKnown = info;
    }

    private NodeAttributes AttributesOf(Node node, ListingEntry entry)
    {
        if (node.IsDirectory)
        {
            return DirectoryAttributes(node, entry.Placeholder ?? KnownPlaceholder(node));
        }

        if (ActiveWriter(node) is { } writer)
        {
            return StagedAttributes(node, writer);
        }

        if (PendingOf(node) is { } pending)
        {
            return PendingAttributes(node, pending);
        }

        if ((entry.Object ?? node.LastKnown) is { } known)
        {
            return ObjectAttributes(node, known);
        }

        // A file whose first upload failed: it exists only as kept bytes, shown empty.
        return DirectoryAttributes(node) with { Kind = NodeKind.File, Mode = _options.FileMode, LinkCount = 1 };
    }

    /// <summary>Finds a visible child of a directory: from a cached listing, else with one listing of its name (a stat and a listing of it as a folder when that cannot tell).</summary>
    private async ValueTask<VfsResult<ListingEntry>> ResolveAsync(Node dir, string name, CancellationToken ct)
    {
        try
        {
            if (dir.Role != DirectoryRole.Prefix)
            {
                var virtualListing = await GetListingAsync(dir, readWhole: false, ct).ConfigureAwait(false);
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
                var refreshed = await GetListingAsync(dir, readWhole: false, ct).ConfigureAwait(false);
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
                var file = await StatAsync(bucket, objectName, ct).ConfigureAwait(false);
                return file is null ? VfsError.NotFound
                    : new ListingEntry(name, PosixMetadata.SymlinkTarget(file) is null ? NodeKind.File : NodeKind.Symlink, file, bucket, objectName);
            }

            var haveDirectory = _metadata.TryGetDirectory(bucket, subPrefix, out var isDirectory);
            if (haveDirectory && isDirectory)
            {
                _metrics.MetadataHit();
                return new ListingEntry(name, NodeKind.Directory, null, bucket, subPrefix);
            }

            var haveStat = _metadata.TryGetStat(bucket, objectName, out var info);
            // Two entries answer a lookup, the name as a directory and as an object: each is a hit or a miss.
            CountMetadata(haveDirectory);
            CountMetadata(haveStat);
            if (!haveDirectory && !haveStat)
            {
                // Neither is known: one listing of the name usually tells both (NameProbe).
                var answer = await ProbeNameAsync(bucket, objectName, ct).ConfigureAwait(false);
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
                info = await StatAsync(bucket, objectName, ct).ConfigureAwait(false);
            }

            if (probe is not null && await probe.ConfigureAwait(false))
            {
                return new ListingEntry(name, NodeKind.Directory, null, bucket, subPrefix);
            }

            if (info is null)
            {
                return VfsError.NotFound;
            }

            var kind = PosixMetadata.SymlinkTarget(info) is null ? NodeKind.File : NodeKind.Symlink;
            return new ListingEntry(name, kind, info, bucket, objectName);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "lookup", $"{dir}/{name}");
        }
    }

    /// <summary>
    /// Asks about a name as an object and as a folder with one listing (<see cref="NameProbe"/>), and caches what it
    /// settles: the object's stat always, the folder (and its placeholder's stat) when the page reached it.
    /// </summary>
    private async Task<NameProbe.Answer> ProbeNameAsync(string bucket, string objectName, CancellationToken ct)
    {
        var page = await _store.ListAsync(bucket, NameProbe.RequestFor(objectName), ct).ConfigureAwait(false);
        var answer = NameProbe.Read(page, objectName);
        _metadata.PutStat(bucket, objectName, answer.Object);
        if (answer.IsFolder is { } isFolder)
        {
            _metadata.PutFolder(bucket, objectName + "/", isFolder, answer.Placeholder);
        }

        return answer;
    }

    /// <summary>A stat that asks the store (which records the answer in the metadata cache).</summary>
    private Task<ObjectInfo?> StatAsync(string bucket, string name, CancellationToken ct) => _store.StatAsync(bucket, name, ct);

    private void CountMetadata(bool hit)
    {
        if (hit)
        {
            _metrics.MetadataHit();
        }
        else
        {
            _metrics.MetadataMiss();
        }
    }

    /// <summary>The object of a file node: from the stat cache or the parent's cached listing, else a stat.</summary>
    private async ValueTask<VfsResult<ObjectInfo>> CurrentObjectAsync(Node node, CancellationToken ct)
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
                var refreshed = await ListFolderAsync(bucket, folder, readWhole: false, ct, parent).ConfigureAwait(false);
                if (refreshed.TryGet(name[folder.Length..], out var fresh) && fresh.Object is { } current && current.Name == name)
                {
                    ObserveObject(node, current);
                    return current;
                }
            }

            _metrics.MetadataMiss();

            var info = await StatAsync(bucket, name, ct).ConfigureAwait(false);
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
