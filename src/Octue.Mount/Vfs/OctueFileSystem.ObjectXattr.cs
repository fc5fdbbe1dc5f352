using Microsoft.Extensions.Logging;
using Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// setxattr and removexattr on a file: a metadata PATCH on preconditions, carried into the file's open writers.
public sealed partial class OctueFileSystem
{
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
        foreach (var writer in WritersOf(node))
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
}
