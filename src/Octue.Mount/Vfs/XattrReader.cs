using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// What getxattr and listxattr show (DESIGN.md "Extended attributes"): an object's facts, its custom metadata, its
/// Octue fields, a dataset's fields. Names of bucket content that cannot be shown safely are logged once per object.
/// </summary>
internal sealed class XattrReader
{
    private readonly NodeResolver _resolver;
    private readonly IOpenFiles _openFiles;
    private readonly DirectoryDatasets _datasets;
    private readonly ReadPath _reads;
    private readonly ILogger _logger;
    private readonly LoggedOnce _hiddenXattrsLogged = new();

    public XattrReader(NodeResolver resolver, IOpenFiles openFiles, DirectoryDatasets datasets, ReadPath reads, ILogger logger)
    {
        _resolver = resolver;
        _openFiles = openFiles;
        _datasets = datasets;
        _reads = reads;
        _logger = logger;
    }

    /// <summary>getxattr: the value of one attribute as UTF-8 bytes.</summary>
    public async ValueTask<VfsResult<byte[]>> GetAsync(Node node, string name, CancellationToken ct)
    {
        // Tools ask every file for ACLs and security labels (system.*, security.*): answer without any request.
        if (!name.StartsWith("user.octue.", StringComparison.Ordinal) && !name.StartsWith("user.gcs.", StringComparison.Ordinal))
        {
            return VfsError.NoData;
        }

        var view = await ViewAsync(node, ct).ConfigureAwait(false);
        if (!view.IsOk)
        {
            return view.Error;
        }

        return view.Value.TryGetValue(name, out var value) ? Encoding.UTF8.GetBytes(value) : VfsError.NoData;
    }

    /// <summary>listxattr: the names of every attribute.</summary>
    public async ValueTask<VfsResult<IReadOnlyList<string>>> ListAsync(Node node, CancellationToken ct)
    {
        var view = await ViewAsync(node, ct).ConfigureAwait(false);
        if (!view.IsOk)
        {
            return view.Error;
        }

        var names = new string[view.Value.Count];
        view.Value.Keys.CopyTo(names, 0);
        return names;
    }

    /// <summary>Every extended attribute of a node, by name, as text.</summary>
    public async ValueTask<VfsResult<SortedDictionary<string, string>>> ViewAsync(Node node, CancellationToken ct)
    {
        var projected = await _resolver.ProjectDatasetAsync(node, ct).ConfigureAwait(false);
        if (projected != VfsError.None)
        {
            return projected;
        }

        // A file whose upload failed earlier has no object to describe yet: it is saved first.
        var retried = await _openFiles.RetryPendingAsync(_openFiles.PendingOf(node), ct).ConfigureAwait(false);
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

            var dataset = await _datasets.OfAsync(node, ct).ConfigureAwait(false);
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
        if (UnuploadedFile.WriterOf(node) is { } pending && UnuploadedFile.ObjectOf(node, pending) is { } pendingObject)
        {
            obj = pendingObject;
        }
        else
        {
            var info = await _resolver.CurrentObjectAsync(node, ct).ConfigureAwait(false);
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

        view[XattrNames.OctueLabels] = labels.ToJson();
    }

    private static string IntegrityText(IntegrityState integrity) => integrity switch
    {
        IntegrityState.Verified => "verified",
        IntegrityState.Failed => "failed",
        _ => "unverified",
    };
}
