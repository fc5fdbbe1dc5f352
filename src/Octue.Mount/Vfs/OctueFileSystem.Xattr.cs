// Over 400 lines: getting, setting and removing an attribute share the name checks and the per-kind dispatch kept here.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// Extended attributes: Octue metadata and GCS object facts (DESIGN.md "Extended attributes"). Changes land here and are
// applied by kind; what is shown is in .XattrView, a change to a file in .ObjectXattr, to a dataset below.
public sealed partial class OctueFileSystem
{
    /// <inheritdoc/>
    public async ValueTask<VfsResult<byte[]>> GetXattrAsync(ulong node, string name, CancellationToken ct = default)
    {
        // Tools ask every file for ACLs and security labels (system.*, security.*): answer without any request.
        if (!name.StartsWith("user.octue.", StringComparison.Ordinal) && !name.StartsWith("user.gcs.", StringComparison.Ordinal))
        {
            return _nodes.Get(node) is null ? VfsError.NotFound : VfsError.NoData;
        }

        var view = await XattrViewAsync(node, ct).ConfigureAwait(false);
        if (!view.IsOk)
        {
            return view.Error;
        }

        return view.Value.TryGetValue(name, out var value) ? Encoding.UTF8.GetBytes(value) : VfsError.NoData;
    }

    /// <inheritdoc/>
    public async ValueTask<VfsResult<IReadOnlyList<string>>> ListXattrAsync(ulong node, CancellationToken ct = default)
    {
        var view = await XattrViewAsync(node, ct).ConfigureAwait(false);
        if (!view.IsOk)
        {
            return view.Error;
        }

        var names = new string[view.Value.Count];
        view.Value.Keys.CopyTo(names, 0);
        return names;
    }

    /// <inheritdoc/>
    public ValueTask<VfsError> SetXattrAsync(ulong node, string name, ReadOnlyMemory<byte> value, XattrFlags flags, CancellationToken ct = default)
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

    /// <inheritdoc/>
    public ValueTask<VfsError> RemoveXattrAsync(ulong node, string name, CancellationToken ct = default) =>
        ChangeXattrAsync(node, name, null, XattrFlags.Replace, ct);

    // ---- writing ------------------------------------------------------------------------------------------------

    private async ValueTask<VfsError> ChangeXattrAsync(ulong nodeId, string name, string? value, XattrFlags flags, CancellationToken ct)
    {
        var projected = await ProjectDatasetNodeAsync(nodeId, ct).ConfigureAwait(false);
        if (projected != VfsError.None)
        {
            return projected;
        }

        var node = _nodes.Get(nodeId);
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

        if (IsReadOnly)
        {
            return VfsError.ReadOnly;
        }

        var retried = await RetryPendingUploadAsync(PendingOf(node), ct).ConfigureAwait(false);
        if (retried != VfsError.None)
        {
            return retried;
        }

        if ((flags & (XattrFlags.Create | XattrFlags.Replace)) != 0)
        {
            var view = await XattrViewAsync(nodeId, ct).ConfigureAwait(false);
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

    /// <summary>Applies a change to Octue fields; throws <see cref="OctueFormatException"/> naming the rule broken.</summary>
    private static bool ApplyOctueChange(string name, string? value, ref string? id, ref DateTimeOffset? timestamp, TagDict tags, LabelSet labels, bool timestamps)
    {
        switch (name)
        {
            case XattrNames.OctueId:
                if (value is not null && value.Trim().Length == 0)
                {
                    throw new OctueFormatException("user.octue.id", "an id must not be empty");
                }

                if (value is not null && !XattrNames.IsPlainText(value.Trim()))
                {
                    throw new OctueFormatException("user.octue.id", "an id cannot hold control characters such as line breaks");
                }

                id = value?.Trim();
                return true;
            case XattrNames.OctueTimestamp when timestamps:
                if (value is null || value.Trim().Length == 0)
                {
                    timestamp = null;
                }
                else if (OctueTimestamp.FromDateText(value) is { } parsed)
                {
                    timestamp = parsed;
                }
                else
                {
                    throw new OctueFormatException("user.octue.timestamp", "the value must be an ISO 8601 date and time such as 2021-03-08T19:39:21.123456+00:00");
                }

                return true;
            case XattrNames.OctueTags:
                var parsedTags = value is null ? new TagDict() : TagDict.Parse(value);
                parsedTags.ValidateAll();
                tags.Clear();
                foreach (var (tag, tagValue) in parsedTags)
                {
                    tags[tag] = tagValue;
                }

                return true;
            case XattrNames.OctueLabels:
                var parsedLabels = value is null || value.Trim().Length == 0 ? new LabelSet() : LabelSet.Parse(value);
                labels.Clear();
                foreach (var label in parsedLabels)
                {
                    labels.Add(label);
                }

                return true;
        }

        if (name.StartsWith(XattrNames.OctueTagPrefix, StringComparison.Ordinal))
        {
            var tag = name[XattrNames.OctueTagPrefix.Length..];
            TagDict.ValidateName(tag);
            if (value is null)
            {
                if (!tags.Remove(tag))
                {
                    throw new KeyNotFoundException(tag);
                }

                return true;
            }

            tags[tag] = ParseTagValue(tag, value);
            return true;
        }

        return false;
    }

    /// <summary>
    /// A tag value is JSON (<c>30</c>, <c>true</c>, <c>"north"</c>, <c>{"a": [1, 2]}</c>). Because setfattr strips the
    /// double quotes of <c>-v "north"</c>, text that is not JSON and does not try to be (no leading <c>{</c>, <c>[</c> or
    /// <c>"</c>) is taken as a JSON string; malformed JSON is refused.
    /// </summary>
    private static JsonNode? ParseTagValue(string tag, string value)
    {
        try
        {
            return JsonNode.Parse(value);
        }
        catch (JsonException e)
        {
            var trimmed = value.TrimStart();
            if (trimmed.Length == 0 || trimmed[0] is '{' or '[' or '"')
            {
                throw new OctueFormatException($"value of tag '{tag}'", "a tag value must be JSON, such as 30, true, \"north\" or {\"a\": [1, 2]}", e);
            }

            return JsonValue.Create(value);
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
            var found = await DatasetOfAsync(node, ct).ConfigureAwait(false);
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
                try
                {
                    if (!ApplyOctueChange(name, value, ref id, ref unused, metadata.Tags, metadata.Labels, timestamps: false))
                    {
                        return VfsError.NotSupported;
                    }
                }
                catch (KeyNotFoundException)
                {
                    return VfsError.NoData;
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
                _metadata.Remove(new DatasetKey(node.Bucket, node.ObjectName));
                return VfsError.None;
            }
            catch (PreconditionFailedException) when (attempt < MaxPreconditionRetries)
            {
                _metadata.Remove(new DatasetKey(node.Bucket, node.ObjectName));
            }
        }
    }

    private async Task<long> OctueGenerationAsync(string bucket, string name, CancellationToken ct) =>
        (await StatAsync(bucket, name, ct).ConfigureAwait(false))?.Generation ?? 0;

    // ---- datasets -----------------------------------------------------------------------------------------------

    private readonly record struct DatasetKey(string Bucket, string Prefix);

    /// <summary>A dataset's metadata and the object it was read from.</summary>
    private sealed record DatasetFound(DatasetMetadata Metadata, string ObjectName, long Generation);

    /// <summary>
    /// The dataset a directory is, if any: <c>.octue</c>, else <c>dataset_metadata.json</c>, else <c>dataset.json</c>
    /// in the directory; for a manifest's dataset without such a file, the manifest's description of it.
    /// </summary>
    private async ValueTask<VfsResult<DatasetFound?>> DatasetOfAsync(Node dir, CancellationToken ct)
    {
        if (dir.Role == DirectoryRole.FileList)
        {
            return dir.Dataset is { } fromManifest ? FromManifest(fromManifest) : (DatasetFound?)null;
        }

        if (dir.Role != DirectoryRole.Prefix)
        {
            return (DatasetFound?)null;
        }

        var key = new DatasetKey(dir.Bucket, dir.ObjectName);
        if (_metadata.TryGet(key, out DatasetFound? cached))
        {
            return cached;
        }

        try
        {
            var listing = await _listings.GetAsync(dir, readWhole: false, ct).ConfigureAwait(false);
            DatasetFound? found = null;
            foreach (var fileName in DatasetMetadata.FileNames)
            {
                if (!listing.TryGet(fileName, out var entry) || entry.Object is not { } obj)
                {
                    continue;
                }

                await using var stream = await _store.OpenReadAsync(obj.Bucket, obj.Name, 0, null, obj.Generation, ct).ConfigureAwait(false);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                var json = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
                try
                {
                    found = new DatasetFound(DatasetMetadata.Parse(json, fileName), obj.Name, obj.Generation);
                }
                catch (OctueFormatException e)
                {
                    _logger.LogWarning("Dataset metadata gs://{Bucket}/{Name} cannot be read: {Problem}", obj.Bucket, obj.Name, e.Message);
                }

                break;
            }

            if (found is null && dir.Dataset is { } described)
            {
                found = FromManifest(described);
            }

            _metadata.Put(key, found);
            return found;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "read dataset metadata", dir.ToString());
        }
    }

    private static DatasetFound FromManifest(ManifestDatasetInfo info)
    {
        var description = info.Description;
        return new(new DatasetMetadata
        {
            Id = description.Id,
            Name = description.Name ?? info.Key,
            Tags = description.Tags,
            Labels = description.Labels,
            Path = description.Path,
            Files = description.Files,
        }, "", 0);
    }
}
