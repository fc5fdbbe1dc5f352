using Microsoft.Extensions.Logging;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// Symbolic links: an empty object whose metadata holds the target.
public sealed partial class OctueFileSystem
{
    /// <inheritdoc/>
    public async ValueTask<VfsResult<NodeAttributes>> SymlinkAsync(ulong parent, string name, string target, FileOwner? owner = null, CancellationToken ct = default)
    {
        var projected = await ProjectDatasetNodeAsync(parent, ct).ConfigureAwait(false);
        if (projected != VfsError.None)
        {
            return projected;
        }

        var checkedParent = CheckChangeInDirectory(parent, name, out var dir);
        if (checkedParent != VfsError.None)
        {
            return checkedParent;
        }

        // The target is custom metadata, which the XML API carries as a header: no line breaks or other controls.
        if (string.IsNullOrEmpty(target) || !XattrNames.IsPlainText(target))
        {
            return VfsError.InvalidArgument;
        }

        var objectName = dir!.ObjectName + name;
        if (!ObjectLimits.NameFits(objectName))
        {
            return VfsError.NameTooLong;
        }

        var existing = await _resolver.ResolveAsync(dir, name, ct).ConfigureAwait(false);
        if (existing.IsOk)
        {
            return VfsError.Exists;
        }

        // A link's mode is always shown as 777, so only its owner is kept.
        var metadata = NewObjectPosixMetadata(null, 0, owner);
        metadata[PosixMetadata.SymlinkTargetKey] = target;
        PosixMetadata.SetModified(metadata, NowNs());
        try
        {
            var info = await _store.UploadAsync(dir.Bucket, objectName, new MemoryStream(Array.Empty<byte>(), writable: false),
                new UploadOptions { IfGenerationMatch = 0, Metadata = metadata }, ct).ConfigureAwait(false);
            var node = _nodes.GetOrAdd(dir, name, NodeKind.Symlink, id => new Node(id, NodeKind.Symlink, dir, name, dir.Bucket, objectName), addLookups: 1);
            RecordOwnChange(node, info);
            return _attributes.Object(node, info);
        }
        catch (PreconditionFailedException)
        {
            return VfsError.Exists;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "symlink", $"gs://{dir.Bucket}/{objectName}");
        }
    }

    /// <inheritdoc/>
    public async ValueTask<VfsResult<string>> ReadLinkAsync(ulong node, CancellationToken ct = default)
    {
        var n = _nodes.Get(node);
        if (n is null)
        {
            return VfsError.NotFound;
        }

        if (n.Kind != NodeKind.Symlink)
        {
            return VfsError.InvalidArgument;
        }

        var info = await _resolver.CurrentObjectAsync(n, ct).ConfigureAwait(false);
        if (!info.IsOk)
        {
            return info.Error;
        }

        var target = PosixMetadata.SymlinkTarget(info.Value);
        if (target is null)
        {
            return VfsError.InvalidArgument;
        }

        if (PosixMetadata.SymlinkTargetProblem(target) is { } problem)
        {
            // Set by whoever wrote the bucket: refused here, once logged, rather than passed to the kernel.
            if (_badSymlinksLogged.First(n.Bucket, n.ObjectName))
            {
                _logger.LogWarning("Symlink gs://{Bucket}/{Name} cannot be read: {Problem}", n.Bucket, XattrNames.Printable(n.ObjectName), problem);
            }

            return target.Length == 0 || target.Contains('\0') ? VfsError.InvalidArgument : VfsError.NameTooLong;
        }

        return target;
    }
}
