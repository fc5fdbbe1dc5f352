using Microsoft.Extensions.Logging;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// rename(2) of a directory: every object under it copied and deleted one by one, so not atomic (see DESIGN.md).
internal sealed partial class Renamer
{
    /// <summary>Object by object (not atomic): copy everything under the prefix, then delete each copied generation.</summary>
    private async Task<VfsError> RenameDirectoryAsync(Node node, ListingEntry source, Node toDir, string newName, ListingEntry? target, CancellationToken ct)
    {
        var fromBucket = source.Bucket;
        var fromPrefix = source.ObjectName;
        var toBucket = toDir.Bucket;
        var toPrefix = toDir.ObjectName + newName + "/";
        var targetPlaceholder = 0L;
        if (target is not null)
        {
            if (_nodes.GetChild(toDir, newName) is { IsDirectory: true } replaced && replaced.HasPendingCreates())
            {
                return VfsError.NotEmpty;
            }

            var page = await _store.ListAsync(toBucket, new ListRequest { Prefix = toPrefix, Delimiter = "/", PageSize = 2 }, ct).ConfigureAwait(false);
            foreach (var obj in page.Objects)
            {
                if (obj.Name != toPrefix)
                {
                    return VfsError.NotEmpty;
                }

                targetPlaceholder = obj.Generation;
            }

            if (page.Prefixes.Count > 0)
            {
                return VfsError.NotEmpty;
            }
        }

        // Files under the folder still being written go up first (new ones included), so the copies carry their
        // bytes and their writers can be rebased onto the copies, as for a file rename.
        var writtenBelow = _nodes.Descendants(node).Where(d => d.Kind == NodeKind.File && d.WriteHandles.Count > 0).ToList();
        foreach (var written in writtenBelow)
        {
            var flushed = await _openFiles.UploadWritersAsync(written, ct).ConfigureAwait(false);
            if (flushed != VfsError.None)
            {
                return flushed;
            }
        }

        var objects = new List<ObjectInfo>();
        string? token = null;
        do
        {
            var page = await _store.ListAsync(fromBucket, new ListRequest { Prefix = fromPrefix, PageSize = 1000, PageToken = token }, ct).ConfigureAwait(false);
            objects.AddRange(page.Objects);
            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token));

        if (!ObjectLimits.NameFits(toPrefix))
        {
            return VfsError.NameTooLong;
        }

        foreach (var obj in objects)
        {
            if (!ObjectLimits.NameFits(toPrefix + obj.Name[fromPrefix.Length..]))
            {
                // Checked for every object before the first copy: a rename that cannot finish does not start.
                return VfsError.NameTooLong;
            }
        }

        var hasPlaceholder = false;
        var copies = new Dictionary<string, (long From, ObjectInfo Copy)>(StringComparer.Ordinal);
        foreach (var obj in objects)
        {
            var destination = toPrefix + obj.Name[fromPrefix.Length..];
            hasPlaceholder |= destination == toPrefix;
            var copy = await _store.CopyAsync(fromBucket, obj.Name, toBucket, destination, obj.Generation,
                destination == toPrefix ? targetPlaceholder : 0, ct).ConfigureAwait(false);
            copies[destination] = (obj.Generation, copy);
            _metadata.InvalidateObject(toBucket, destination);
        }

        if (!hasPlaceholder && objects.Count == 0)
        {
            return VfsError.NotFound;
        }

        var stale = false;
        foreach (var obj in objects)
        {
            try
            {
                await _store.DeleteAsync(fromBucket, obj.Name, obj.Generation, ct).ConfigureAwait(false);
            }
            catch (PreconditionFailedException)
            {
                _logger.LogWarning("Rename of gs://{Bucket}/{Name}: it changed during the rename; it was copied and kept", fromBucket, obj.Name);
                stale = true;
            }
            catch (ObjectNotFoundException)
            {
            }

            _metadata.InvalidateObject(fromBucket, obj.Name);
        }

        if (targetPlaceholder != 0 && !hasPlaceholder)
        {
            // The replaced empty target directory's placeholder stays as the moved directory's placeholder.
            _metadata.InvalidateObject(toBucket, toPrefix);
        }

        _metadata.InvalidateDirectory(fromBucket, fromPrefix);
        _metadata.InvalidateDirectory(toBucket, toPrefix);
        var descendants = _nodes.Descendants(node);
        MoveNode(node, toDir, newName, toBucket, toPrefix);
        foreach (var child in descendants)
        {
            lock (_nodes.SyncRoot)
            {
                if (child.Bucket == fromBucket && child.ObjectName.StartsWith(fromPrefix, StringComparison.Ordinal))
                {
                    child.Bucket = toBucket;
                    child.ObjectName = toPrefix + child.ObjectName[fromPrefix.Length..];
                }
            }

            if (!child.IsDirectory && copies.TryGetValue(child.ObjectName, out var moved))
            {
                // Open files under the folder read and write their copies, as a local rename keeps them open.
                await _openFiles.RebaseWritersAsync(child, moved.Copy, CancellationToken.None).ConfigureAwait(false);
                _openFiles.RebaseHandles(child, moved.Copy, onlyGeneration: moved.From);
            }
        }

        return stale ? VfsError.Stale : VfsError.None;
    }
}
