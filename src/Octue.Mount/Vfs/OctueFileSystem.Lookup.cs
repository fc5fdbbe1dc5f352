using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// lookup and getattr: the node's id resolved here, the answer worked out by the node resolver (NodeResolver).
public sealed partial class OctueFileSystem
{
    /// <inheritdoc/>
    public ValueTask<VfsResult<NodeAttributes>> LookupAsync(ulong parent, string name, CancellationToken ct = default) =>
        _nodes.Get(parent) is { } dir ? _resolver.LookupAsync(dir, name, ct) : ValueTask.FromResult<VfsResult<NodeAttributes>>(VfsError.NotFound);

    /// <inheritdoc/>
    public ValueTask<VfsResult<NodeAttributes>> GetAttributesAsync(ulong node, ulong? handle = null, CancellationToken ct = default)
    {
        if (_nodes.Get(node) is not { } n)
        {
            return ValueTask.FromResult<VfsResult<NodeAttributes>>(VfsError.NotFound);
        }

        var open = handle is { } h && _files.TryGetValue(h, out var fh) ? fh : null;
        return _resolver.GetAttributesAsync(n, open, ct);
    }

    /// <summary>A stat that asks the store (which records the answer in the metadata cache).</summary>
    private Task<ObjectInfo?> StatAsync(string bucket, string name, CancellationToken ct) => _store.StatAsync(bucket, name, ct);
}
