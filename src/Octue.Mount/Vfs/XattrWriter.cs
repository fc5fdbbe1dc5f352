using System.Text;
using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// setxattr and removexattr (DESIGN.md "Extended attributes"): a change to a file is a metadata PATCH on its
/// metageneration, carried into its open writers; a change to a directory rewrites its <c>.octue</c> on its
/// generation. A lost race is merged again and retried <see cref="MetadataRaces.MaxRetries"/> times.
/// </summary>
internal sealed class XattrWriter
{
    private readonly IObjectStore _store;
    private readonly IMetadataKnowledge<DirectoryListing> _metadata;
    private readonly NodeResolver _resolver;
    private readonly IOpenFiles _openFiles;
    private readonly DirectoryDatasets _datasets;
    private readonly XattrReader _reader;
    private readonly ILogger _logger;
    private readonly bool _readOnly;

    public XattrWriter(IObjectStore store, IMetadataKnowledge<DirectoryListing> metadata, NodeResolver resolver, IOpenFiles openFiles,
        DirectoryDatasets datasets, XattrReader reader, ILogger logger, bool readOnly)
    {
        _store = store;
        _metadata = metadata;
        _resolver = resolver;
        _openFiles = openFiles;
        _datasets = datasets;
        _reader = reader;
        _logger = logger;
        _readOnly = readOnly;
    }

    /// <summary>setxattr: the value must be UTF-8 text. <paramref name="node"/> is null when the kernel's id names no node.</summary>
    public ValueTask<VfsError> SetAsync(Node? node, string name, ReadOnlyMemory<byte> value, XattrFlags flags, CancellationToken ct)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value.Span);
        }
        catch (DecoderFallbackException)
        {
            _logger.LogWarning("setxattr {Name}: the value is not UTF-8 text", name);
            return ValueTask.FromResult(VfsError.InvalidArgument);
        }

        return ChangeXattrAsync(node, name, text, flags, ct);
    }

    /// <summary>removexattr.</summary>
    public ValueTask<VfsError> RemoveAsync(Node? node, string name, CancellationToken ct) =>
        ChangeXattrAsync(node, name, null, XattrFlags.Replace, ct);

    private async ValueTask<VfsError> ChangeXattrAsync(Node? node, string name, string? value, XattrFlags flags, CancellationToken ct)
    {
        var projected = await _resolver.ProjectDatasetAsync(node, ct).ConfigureAwait(false);
        if (projected != VfsError.None)
        {
            return projected;
        }

        if (node is null)
        {
            return VfsError.NotFound;
        }

        if (!name.StartsWith("user.", StringComparison.Ordinal))
        {
            return VfsError.NotSupported;
        }

        if (XattrNames.IsReadOnly(name))
        {
            _logger.LogInformation("{Name} is read-only: it describes the stored object", name);
            return VfsError.NotPermitted;
        }

        if (_readOnly)
        {
            return VfsError.ReadOnly;
        }

        var retried = await _openFiles.RetryPendingAsync(_openFiles.PendingOf(node), ct).ConfigureAwait(false);
        if (retried != VfsError.None)
        {
            return retried;
        }

        if ((flags & (XattrFlags.Create | XattrFlags.Replace)) != 0)
        {
            var view = await _reader.ViewAsync(node, ct).ConfigureAwait(false);
            if (!view.IsOk)
            {
                return view.Error;
            }

            var exists = view.Value.ContainsKey(name);
            if ((flags & XattrFlags.Create) != 0 && exists)
            {
                return VfsError.Exists;
            }

            if ((flags & XattrFlags.Replace) != 0 && !exists)
            {
                return VfsError.NoData;
            }
        }

        try
        {
            return node.IsDirectory
                ? await ChangeDatasetXattrAsync(node, name, value, ct).ConfigureAwait(false)
                : await ChangeObjectXattrAsync(node, name, value, ct).ConfigureAwait(false);
        }
        catch (OctueFormatException e)
        {
            _logger.LogWarning("{Name} refused on {Node}: {Rule}", name, node, e.Message);
            return VfsError.InvalidArgument;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "setxattr", $"{node} {name}");
        }
    }

    /// <summary>A change to a directory's Octue xattrs: a rewrite of its <c>.octue</c> with an ifGenerationMatch precondition.</summary>
    private async Task<VfsError> ChangeDatasetXattrAsync(Node node, string name, string? value, CancellationToken ct)
    {
        if (!name.StartsWith("user.octue.", StringComparison.Ordinal) || name == XattrNames.OctueTimestamp)
        {
            return VfsError.NotSupported;
        }

        if (node.Role != DirectoryRole.Prefix)
        {
            _logger.LogWarning("{Name} on {Node}: this dataset is defined by the mounted manifest, which is not rewritten", name, node);
            return VfsError.NotSupported;
        }

        for (var attempt = 0; ; attempt++)
        {
            _metadata.InvalidateListing(node.Bucket, node.ObjectName);
            var found = await _datasets.OfAsync(node, ct).ConfigureAwait(false);
            if (!found.IsOk)
            {
                return found.Error;
            }

            var octueName = node.ObjectName + DatasetMetadata.OctueFileName;
            DatasetMetadata metadata;
            long generation;
            if (found.Value is { } existing)
            {
                metadata = existing.Metadata;
                generation = existing.ObjectName == octueName ? existing.Generation : await OctueGenerationAsync(node.Bucket, octueName, ct).ConfigureAwait(false);
            }
            else
            {
                // Setting Octue metadata on a plain directory makes it a dataset.
                metadata = new DatasetMetadata { Id = Guid.NewGuid().ToString(), Name = node.Name, Path = $"gs://{node.Bucket}/{node.ObjectName.TrimEnd('/')}" };
                generation = 0;
            }

            if (name == XattrNames.OctueName)
            {
                metadata.Name = value;
            }
            else
            {
                var id = metadata.Id;
                DateTimeOffset? unused = null;
                var applied = OctueFieldChange.TryApply(name, value, ref id, ref unused, metadata.Tags, metadata.Labels, timestamps: false);
                if (applied != VfsError.None)
                {
                    return applied;
                }

                metadata.Id = id;
            }

            var json = metadata.ToOctueJson();
            try
            {
                var info = await _store.UploadAsync(node.Bucket, octueName, new MemoryStream(Encoding.UTF8.GetBytes(json), writable: false),
                    new UploadOptions { IfGenerationMatch = generation, ContentType = "application/json" }, ct).ConfigureAwait(false);
                _metadata.InvalidateObject(info.Bucket, info.Name);
                _metadata.InvalidateListing(node.Bucket, node.ObjectName);
                _datasets.Forget(node.Bucket, node.ObjectName);
                return VfsError.None;
            }
            catch (PreconditionFailedException) when (attempt < MetadataRaces.MaxRetries)
            {
                _datasets.Forget(node.Bucket, node.ObjectName);
            }
        }
    }

    private async Task<long> OctueGenerationAsync(string bucket, string name, CancellationToken ct) =>
        (await _store.StatAsync(bucket, name, ct).ConfigureAwait(false))?.Generation ?? 0;

    /// <summary>A change to a file's xattr: a metadata PATCH with an ifMetagenerationMatch precondition (retried on a lost race).</summary>
    private async Task<VfsError> ChangeObjectXattrAsync(Node node, string name, string? value, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var pending = UnuploadedFile.WriterOf(node);
            var current = pending is not null ? UnuploadedFile.ObjectOf(node, pending) : null;
            if (current is null)
            {
                pending = null;
                current = await _store.StatAsync(node.Bucket, node.ObjectName, ct).ConfigureAwait(false);
            }

            if (current is null)
            {
                return VfsError.NotFound;
            }

            MetadataPatch patch;
            if (name == XattrNames.GcsContentType)
            {
                if (value is null || value.Trim().Length == 0)
                {
                    return VfsError.NotPermitted;
                }

                if (!XattrNames.IsPlainText(value))
                {
                    // It becomes the Content-Type header of every download: a line break there would end the header.
                    _logger.LogWarning("{Name} refused on {Node}: a content type cannot hold control characters such as line breaks", name, node);
                    return VfsError.InvalidArgument;
                }

                patch = new MetadataPatch { ContentType = value.Trim() };
            }
            else if (name.StartsWith(XattrNames.GcsMetaPrefix, StringComparison.Ordinal))
            {
                var key = name[XattrNames.GcsMetaPrefix.Length..];
                if (XattrNames.ForMetadataKey(key) is null || (value is not null && !XattrNames.IsPlainText(value)))
                {
                    // Keys and values travel as x-goog-meta-KEY headers in the XML API: no line breaks or other controls.
                    _logger.LogWarning("{Name} refused on {Node}: custom metadata keys and values cannot be empty or hold control characters such as line breaks",
                        XattrNames.Printable(name), node);
                    return VfsError.InvalidArgument;
                }

                if (node.Kind == NodeKind.File && DatafileMetadata.IsOctueKey(key))
                {
                    _logger.LogWarning("{Name} refused: Octue metadata is changed through user.octue.* so that it stays valid", name);
                    return VfsError.InvalidArgument;
                }

                if (value is null && !current.Metadata.ContainsKey(key))
                {
                    return VfsError.NoData;
                }

                var merged = new Dictionary<string, string>(current.Metadata, StringComparer.Ordinal);
                if (value is null)
                {
                    merged.Remove(key);
                }
                else
                {
                    merged[key] = value;
                }

                DatafileMetadata.EnsureWithinLimit(merged);
                patch = new MetadataPatch { Metadata = new Dictionary<string, string?> { [key] = value } };
            }
            else if (node.Kind == NodeKind.File && name.StartsWith("user.octue.", StringComparison.Ordinal))
            {
                var metadata = DatafileMetadata.FromObjectMetadata(current.Metadata);
                var id = metadata.Id;
                var timestamp = metadata.Timestamp;
                var applied = OctueFieldChange.TryApply(name, value, ref id, ref timestamp, metadata.Tags, metadata.Labels, timestamps: true);
                if (applied != VfsError.None)
                {
                    return applied;
                }

                metadata.Id = id;
                metadata.Timestamp = timestamp;
                var written = metadata.ToObjectMetadata();
                var changes = new Dictionary<string, string?>(StringComparer.Ordinal);
                foreach (var (key, text) in written)
                {
                    changes[key] = text;
                }

                patch = new MetadataPatch { Metadata = changes };
            }
            else
            {
                return VfsError.NotSupported;
            }

            if (pending is not null)
            {
                // Not uploaded yet (cp --preserve sets xattrs before close): the change rides with the upload.
                await _openFiles.CarryIntoWritersAsync(node, patch, null, ct).ConfigureAwait(false);
                return VfsError.None;
            }

            try
            {
                var updated = await _store.PatchMetadataAsync(node.Bucket, node.ObjectName, patch, current.Metageneration, ct).ConfigureAwait(false);
                // The store recorded it in the metadata cache.
                node.LastKnown = updated;
                await _openFiles.CarryIntoWritersAsync(node, patch, updated, ct).ConfigureAwait(false);
                return VfsError.None;
            }
            catch (PreconditionFailedException) when (attempt < MetadataRaces.MaxRetries)
            {
                // Another writer changed the metadata first: re-read it and apply our change on top.
                _metadata.InvalidateStat(node.Bucket, node.ObjectName);
            }
        }
    }
}
