using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// A directory's attributes: kept on its <c>dir/</c> placeholder object, as files keep theirs, known from a fresh
/// listing of it or of its parent or from a cached stat, else asked with one stat; the mount's defaults when it has
/// none (the roots, implicit folders). chmod, chown and utimes of a directory change (or make) its placeholder.
/// </summary>
internal sealed class DirectoryAttributes
{
    private readonly IObjectStore _store;
    private readonly IMetadataKnowledge<DirectoryListing> _metadata;
    private readonly FolderListings _listings;
    private readonly AttributeBuilder _attributes;
    private readonly VfsMetrics _metrics;
    private readonly ILogger _logger;

    public DirectoryAttributes(IObjectStore store, IMetadataKnowledge<DirectoryListing> metadata, FolderListings listings, AttributeBuilder attributes,
        VfsMetrics metrics, ILogger logger)
    {
        _store = store;
        _metadata = metadata;
        _listings = listings;
        _attributes = attributes;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>A directory of a bucket below its root: the only kind that can have a <c>dir/</c> placeholder.</summary>
    public static bool CanHavePlaceholder(Node dir) => dir.Role == DirectoryRole.Prefix && dir.ObjectName.Length > 0;

    /// <summary>The directory's placeholder as far as the metadata cache knows it (null = none, or not known).</summary>
    public ObjectInfo? KnownPlaceholder(Node dir)
    {
        TryKnownPlaceholder(dir, out var placeholder);
        return placeholder;
    }

    private bool TryKnownPlaceholder(Node dir, out ObjectInfo? placeholder)
    {
        placeholder = null;
        if (!CanHavePlaceholder(dir))
        {
            return true;
        }

        if (_metadata.PeekListing(dir.Bucket, dir.ObjectName) is { } listing)
        {
            placeholder = listing.Placeholder;
            return true;
        }

        if (_metadata.TryGetStat(dir.Bucket, dir.ObjectName, out placeholder))
        {
            return true;
        }

        // The parent's listing shows its sub-directories' placeholders too (listed with includeTrailingDelimiter).
        var parent = ObjectNames.ParentPrefix(dir.ObjectName);
        if (_metadata.PeekListing(dir.Bucket, parent) is { } parentListing &&
            parentListing.TryGet(dir.ObjectName[parent.Length..^1], out var entry) && entry.Kind == NodeKind.Directory)
        {
            placeholder = entry.Placeholder;
            return true;
        }

        return false;
    }

    /// <summary>A directory's attributes: from its placeholder (cached, else one stat), else the mount's defaults.</summary>
    public async ValueTask<VfsResult<NodeAttributes>> OfAsync(Node dir, CancellationToken ct)
    {
        if (TryKnownPlaceholder(dir, out var known))
        {
            _metrics.MetadataHit();
            return _attributes.Directory(dir, known);
        }

        try
        {
            if (_metadata.ShouldRefreshWhole(dir.Bucket, dir.ObjectName))
            {
                // The directory is being walked (files created in it one after the other, say): its listing, which
                // the lookups in it need anyway, holds its placeholder too.
                var listing = await _listings.ListFolderAsync(dir.Bucket, dir.ObjectName, readWhole: false, ct, dir).ConfigureAwait(false);
                return _attributes.Directory(dir, listing.Placeholder);
            }

            _metrics.MetadataMiss();
            return _attributes.Directory(dir, await _store.StatAsync(dir.Bucket, dir.ObjectName, ct).ConfigureAwait(false));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "stat", dir.ToString());
        }
    }

    /// <summary>
    /// chmod/chown/utimes on a directory. Its placeholder keeps them (a PATCH with a metageneration precondition);
    /// an implicit directory gets a placeholder carrying them (as <c>mkdir</c> would have made), so the change is
    /// kept and the directory persists. The roots of buckets, projects and manifests and file-list datasets have
    /// no object to keep attributes on: EPERM, never a change accepted and dropped.
    /// </summary>
    public async ValueTask<VfsResult<NodeAttributes>> SetAsync(Node dir, SetAttributes changes, CancellationToken ct)
    {
        if (changes.ModifiedNs is null && changes.Mode is null && changes.Uid is null && changes.Gid is null)
        {
            return await OfAsync(dir, ct).ConfigureAwait(false);
        }

        if (!CanHavePlaceholder(dir))
        {
            _logger.LogWarning("Attributes of {Directory} cannot be changed: no object holds them", dir);
            return VfsError.NotPermitted;
        }

        var bucket = dir.Bucket;
        var prefix = dir.ObjectName;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var current = await _store.StatAsync(bucket, prefix, ct).ConfigureAwait(false);
                ObjectInfo info;
                if (current is null)
                {
                    var shown = _attributes.Directory(dir);
                    var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var (key, value) in PosixMetadata.Patch(new ObjectInfo { Bucket = bucket, Name = prefix }, changes with { ModifiedNs = changes.ModifiedNs ?? shown.ModifiedNs }))
                    {
                        metadata[key] = value!;
                    }

                    info = await _store.UploadAsync(bucket, prefix, new MemoryStream(Array.Empty<byte>(), writable: false),
                        new UploadOptions { IfGenerationMatch = 0, Metadata = metadata }, ct).ConfigureAwait(false);
                }
                else
                {
                    info = await _store.PatchMetadataAsync(bucket, prefix, new MetadataPatch { Metadata = PosixMetadata.Patch(current, changes) },
                        current.Metageneration, ct).ConfigureAwait(false);
                }

                // The store recorded the placeholder in the directory's own listing and its parent's.
                return _attributes.Directory(dir, info);
            }
            catch (PreconditionFailedException) when (attempt < MetadataRaces.MaxRetries)
            {
                // The placeholder was created or changed by someone else between our stat and our write: read it again.
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return ErrorMapping.Map(e, _logger, "setattr", dir.ToString());
            }
        }
    }
}
