using Microsoft.Extensions.Logging;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// Symbolic links: an empty object whose metadata holds the target (<see cref="PosixMetadata.SymlinkTargetKey"/>),
/// made only where no name is taken (an upload on generation 0). A target bucket content set that the kernel could
/// not be handed is refused when read, and logged once.
/// </summary>
internal sealed class Symlinks
{
    private readonly IObjectStore _store;
    private readonly NodeTable _nodes;
    private readonly NodeResolver _resolver;
    private readonly AttributeBuilder _attributes;
    private readonly ILogger _logger;
    private readonly bool _readOnly;
    private readonly LoggedOnce _badSymlinksLogged = new();

    public Symlinks(IObjectStore store, NodeTable nodes, NodeResolver resolver, AttributeBuilder attributes, ILogger logger, bool readOnly)
    {
        _store = store;
        _nodes = nodes;
        _resolver = resolver;
        _attributes = attributes;
        _logger = logger;
        _readOnly = readOnly;
    }

    /// <summary>symlink(2): <paramref name="name"/> in <paramref name="dir"/> (null when the kernel's id names no node) made a link to <paramref name="target"/>.</summary>
    public async ValueTask<VfsResult<NodeAttributes>> CreateAsync(Node? dir, string name, string target, FileOwner? owner, CancellationToken ct)
    {
        var projected = await _resolver.ProjectDatasetAsync(dir, ct).ConfigureAwait(false);
        if (projected != VfsError.None)
        {
            return projected;
        }

        var checkedParent = ChangeRules.Check(dir, name, _readOnly);
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
        var metadata = _attributes.NewObjectMetadata(null, 0, owner);
        metadata[PosixMetadata.SymlinkTargetKey] = target;
        PosixMetadata.SetModified(metadata, _attributes.NowNs());
        try
        {
            var info = await _store.UploadAsync(dir.Bucket, objectName, new MemoryStream(Array.Empty<byte>(), writable: false),
                new UploadOptions { IfGenerationMatch = 0, Metadata = metadata }, ct).ConfigureAwait(false);
            var node = _nodes.GetOrAdd(dir, name, NodeKind.Symlink, id => new Node(id, NodeKind.Symlink, dir, name, dir.Bucket, objectName), addLookups: 1);
            // The store recorded it in the metadata cache.
            node.LastKnown = info;
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

    /// <summary>readlink(2): the target a link's object carries, refused when the kernel could not be given it.</summary>
    public async ValueTask<VfsResult<string>> ReadAsync(Node n, CancellationToken ct)
    {
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
