using Microsoft.Extensions.Logging;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// chmod, chown and utimes of a directory: kept on its "dir/" placeholder object, as files keep theirs.
public sealed partial class OctueFileSystem
{
    /// <summary>
    /// chmod/chown/utimes on a directory. Its placeholder keeps them (a PATCH with a metageneration precondition);
    /// an implicit directory gets a placeholder carrying them (as <c>mkdir</c> would have made), so the change is
    /// kept and the directory persists. The roots of buckets, projects and manifests and file-list datasets have
    /// no object to keep attributes on: EPERM, never a change accepted and dropped.
    /// </summary>
    private async ValueTask<VfsResult<NodeAttributes>> SetDirectoryAttributesAsync(Node dir, SetAttributes changes, CancellationToken ct)
    {
        if (changes.ModifiedNs is null && changes.Mode is null && changes.Uid is null && changes.Gid is null)
        {
            return await _resolver.Directories.OfAsync(dir, ct).ConfigureAwait(false);
        }

        if (!DirectoryAttributes.CanHavePlaceholder(dir))
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
                var current = await StatAsync(bucket, prefix, ct).ConfigureAwait(false);
                ObjectInfo info;
                if (current is null)
                {
                    var shown = _attributes.Directory(dir);
                    var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var (key, value) in PosixPatch(new ObjectInfo { Bucket = bucket, Name = prefix }, changes with { ModifiedNs = changes.ModifiedNs ?? shown.ModifiedNs }))
                    {
                        metadata[key] = value!;
                    }

                    info = await _store.UploadAsync(bucket, prefix, new MemoryStream(Array.Empty<byte>(), writable: false),
                        new UploadOptions { IfGenerationMatch = 0, Metadata = metadata }, ct).ConfigureAwait(false);
                }
                else
                {
                    info = await _store.PatchMetadataAsync(bucket, prefix, new MetadataPatch { Metadata = PosixPatch(current, changes) },
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
