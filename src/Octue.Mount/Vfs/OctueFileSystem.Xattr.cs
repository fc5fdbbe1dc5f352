using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// Extended attributes: Octue metadata and GCS object facts (DESIGN.md "Extended attributes").
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

    // ---- reading ------------------------------------------------------------------------------------------------

    /// <summary>Every extended attribute of a node, by name, as text.</summary>
    private async ValueTask<VfsResult<SortedDictionary<string, string>>> XattrViewAsync(ulong nodeId, CancellationToken ct)
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

        // A file whose upload failed earlier has no object to describe yet: it is saved first.
        var retried = await RetryPendingUploadAsync(PendingOf(node), ct).ConfigureAwait(false);
        if (retried != VfsError.None)
        {
            return retried;
        }

        var view = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (node.IsDirectory)
        {
            if (node.Role == DirectoryRole.Prefix)
            {
                view[XattrNames.GcsUri] = $"gs://{node.Bucket}/{node.ObjectName}";
            }

            var dataset = await DatasetOfAsync(node, ct).ConfigureAwait(false);
            if (!dataset.IsOk)
            {
                return dataset.Error;
            }

            if (dataset.Value is { } d)
            {
                List<string>? hiddenTags = null;
                AddOctueFields(view, d.Metadata.Id, null, d.Metadata.Tags, d.Metadata.Labels, ref hiddenTags);
                view[XattrNames.OctueName] = d.Metadata.Name ?? node.Name;
                LogHiddenXattrs(node.Bucket, d.ObjectName.Length > 0 ? d.ObjectName : node.ObjectName, hiddenTags);
            }

            return view;
        }

        ObjectInfo obj;
        if (PendingWriter(node) is { } pending && PendingObject(node, pending) is { } pendingObject)
        {
            obj = pendingObject;
        }
        else
        {
            var info = await CurrentObjectAsync(node, ct).ConfigureAwait(false);
            if (!info.IsOk)
            {
                return info.Error;
            }

            obj = info.Value;
        }

        AddObjectFacts(view, obj);
        List<string>? hidden = null;
        if (node.Kind == NodeKind.File)
        {
            var metadata = DatafileMetadata.FromObjectMetadata(obj.Metadata);
            AddOctueFields(view, metadata.Id, metadata.Timestamp, metadata.Tags, metadata.Labels, ref hidden);
            AddMetadataFields(view, metadata.Other, ref hidden);
            view[XattrNames.OctueIntegrity] = IntegrityText(_reads.GetIntegrity(obj.Bucket, obj.Name, obj.Generation));
        }
        else
        {
            AddMetadataFields(view, obj.Metadata, ref hidden);
        }

        LogHiddenXattrs(obj.Bucket, obj.Name, hidden);
        return view;
    }

    private static void AddObjectFacts(SortedDictionary<string, string> view, ObjectInfo obj)
    {
        view[XattrNames.GcsUri] = $"gs://{obj.Bucket}/{obj.Name}";
        view[XattrNames.GcsGeneration] = obj.Generation.ToString(CultureInfo.InvariantCulture);
        view[XattrNames.GcsMetageneration] = obj.Metageneration.ToString(CultureInfo.InvariantCulture);
        view[XattrNames.GcsSize] = obj.Size.ToString(CultureInfo.InvariantCulture);
        view[XattrNames.GcsUpdated] = obj.Updated.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        if (obj.Crc32c is { } crc)
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, crc);
            view[XattrNames.GcsCrc32c] = Convert.ToBase64String(bytes);
        }

        if (obj.Md5 is { Length: > 0 } md5)
        {
            view[XattrNames.GcsMd5] = Convert.ToBase64String(md5);
        }

        if (!string.IsNullOrEmpty(obj.StorageClass))
        {
            view[XattrNames.GcsStorageClass] = obj.StorageClass;
        }

        if (!string.IsNullOrEmpty(obj.ContentType))
        {
            view[XattrNames.GcsContentType] = obj.ContentType;
        }
    }

    /// <summary>Custom metadata as <c>user.gcs.meta.KEY</c>; keys that cannot be shown safely are collected in <paramref name="hidden"/>.</summary>
    private static void AddMetadataFields(SortedDictionary<string, string> view, IReadOnlyDictionary<string, string> metadata, ref List<string>? hidden)
    {
        foreach (var (key, value) in metadata)
        {
            if (XattrNames.ForMetadataKey(key) is { } name)
            {
                view[name] = value;
            }
            else
            {
                (hidden ??= []).Add("metadata key '" + XattrNames.Printable(key) + "'");
            }
        }
    }

    /// <summary>
    /// Logs, once per object and mount, the tags and metadata keys of bucket content that are not shown as xattrs
    /// (getxattr and listxattr build the view every time; the log must not grow with them).
    /// </summary>
    private void LogHiddenXattrs(string bucket, string objectName, List<string>? hidden)
    {
        if (hidden is null || !_hiddenXattrsLogged.First(bucket, objectName))
        {
            return;
        }

        _logger.LogWarning(
            "gs://{Bucket}/{Name}: {Names} not shown as extended attributes (tag names must match ^[a-z0-9][a-z0-9_]*$; metadata keys must be text without control characters; names are at most 255 bytes)",
            bucket, XattrNames.Printable(objectName), string.Join(", ", hidden));
    }

    private static void AddOctueFields(SortedDictionary<string, string> view, string? id, DateTimeOffset? timestamp, TagDict tags, LabelSet labels,
        ref List<string>? hidden)
    {
        if (id is not null)
        {
            view[XattrNames.OctueId] = id;
        }

        if (timestamp is { } t)
        {
            view[XattrNames.OctueTimestamp] = OctueTimestamp.ToIsoString(t);
        }

        // The whole set stays in user.octue.tags (a JSON value, escaped); only valid names get an attribute of their own.
        view[XattrNames.OctueTags] = tags.ToJson();
        foreach (var (tag, value) in tags)
        {
            if (XattrNames.ForTag(tag) is { } name)
            {
                view[name] = value is null ? "null" : PythonJson.Serialize(value);
            }
            else
            {
                (hidden ??= []).Add("tag '" + XattrNames.Printable(tag) + "'");
            }
        }

        var sorted = new List<string>(labels);
        sorted.Sort(StringComparer.Ordinal);
        var array = new JsonArray();
        foreach (var label in sorted)
        {
            array.Add(label);
        }

        view[XattrNames.OctueLabels] = PythonJson.Serialize(array);
    }

    private static string IntegrityText(IntegrityState integrity) => integrity switch
    {
        IntegrityState.Verified => "verified",
        IntegrityState.Failed => "failed",
        _ => "unverified",
    };

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

    /// <summary>A change to a file's xattr: a metadata PATCH with an ifMetagenerationMatch precondition (retried on a lost race).</summary>
    private async Task<VfsError> ChangeObjectXattrAsync(Node node, string name, string? value, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var pending = PendingWriter(node);
            var current = pending is not null ? PendingObject(node, pending) : null;
            if (current is null)
            {
                pending = null;
                current = await StatAsync(node.Bucket, node.ObjectName, ct).ConfigureAwait(false);
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
                try
                {
                    if (!ApplyOctueChange(name, value, ref id, ref timestamp, metadata.Tags, metadata.Labels, timestamps: true))
                    {
                        return VfsError.NotSupported;
                    }
                }
                catch (KeyNotFoundException)
                {
                    return VfsError.NoData;
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
                await CarryIntoWritersAsync(node, patch, null, ct).ConfigureAwait(false);
                return VfsError.None;
            }

            try
            {
                var updated = await _store.PatchMetadataAsync(node.Bucket, node.ObjectName, patch, current.Metageneration, ct).ConfigureAwait(false);
                RecordOwnChange(node, updated);
                await CarryIntoWritersAsync(node, patch, updated, ct).ConfigureAwait(false);
                return VfsError.None;
            }
            catch (PreconditionFailedException) when (attempt < MaxPreconditionRetries)
            {
                // Another writer changed the metadata first: re-read it and apply our change on top.
                _metadata.InvalidateStat(node.Bucket, node.ObjectName);
            }
        }
    }

    /// <summary>The writer of a file created here and not uploaded yet, if the node is one.</summary>
    private static FileHandle? PendingWriter(Node node) => ActiveWriter(node) is { Base: null } writer ? writer : null;

    /// <summary>What a file not uploaded yet will be: its staged size, metadata and content type.</summary>
    private static ObjectInfo? PendingObject(Node node, FileHandle writer)
    {
        if (writer.Staged is not { } staged)
        {
            return null;
        }

        return new ObjectInfo
        {
            Bucket = node.Bucket,
            Name = node.ObjectName,
            Size = staged.Length,
            ContentType = staged.Sidecar.ContentType,
            Metadata = new Dictionary<string, string>(staged.Sidecar.Metadata, StringComparer.Ordinal),
            Updated = PosixMetadata.FromNs(writer.ModifiedNs),
            Created = PosixMetadata.FromNs(writer.ModifiedNs),
        };
    }

    /// <summary>
    /// Open writers upload metadata captured when they staged: give them the change so their upload keeps it, and
    /// write it to their sidecars so a crash before that upload keeps it too. A writer that has not staged yet takes
    /// the <paramref name="patched"/> object as its base, so the copy its first write stages carries the change (and
    /// stat shows it meanwhile). Each writer's gate is taken: its upload reads the same metadata.
    /// </summary>
    private static async ValueTask CarryIntoWritersAsync(Node node, MetadataPatch patch, ObjectInfo? patched, CancellationToken ct)
    {
        FileHandle[] writers;
        lock (node.WriteHandles)
        {
            writers = node.WriteHandles.ToArray();
        }

        foreach (var writer in writers)
        {
            await writer.Gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                if (writer.Staged is not { } staged)
                {
                    if (patched is not null && writer.Base is { } unchanged && unchanged.Generation == patched.Generation &&
                        unchanged.Metageneration < patched.Metageneration)
                    {
                        writer.Base = patched;
                    }

                    continue;
                }

                foreach (var (key, text) in patch.Metadata)
                {
                    if (text is null)
                    {
                        staged.Sidecar.Metadata.Remove(key);
                    }
                    else
                    {
                        staged.Sidecar.Metadata[key] = text;
                    }
                }

                if (patch.ContentType is not null)
                {
                    staged.Sidecar.ContentType = patch.ContentType;
                }

                await staged.SaveSidecarAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                writer.Gate.Release();
            }
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
            var listing = await GetListingAsync(dir, readWhole: false, ct).ConfigureAwait(false);
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
