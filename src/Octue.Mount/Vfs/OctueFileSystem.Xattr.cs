namespace Octue.Mount.Vfs;

// Extended attributes (DESIGN.md "Extended attributes"): the node's id resolved here, what is shown worked out by
// XattrReader, a change applied by XattrWriter.
public sealed partial class OctueFileSystem
{
    /// <inheritdoc/>
    public ValueTask<VfsResult<byte[]>> GetXattrAsync(ulong node, string name, CancellationToken ct = default) =>
        _nodes.Get(node) is { } n ? _xattrReader.GetAsync(n, name, ct) : ValueTask.FromResult<VfsResult<byte[]>>(VfsError.NotFound);

    /// <inheritdoc/>
    public ValueTask<VfsResult<IReadOnlyList<string>>> ListXattrAsync(ulong node, CancellationToken ct = default) =>
        _nodes.Get(node) is { } n ? _xattrReader.ListAsync(n, ct) : ValueTask.FromResult<VfsResult<IReadOnlyList<string>>>(VfsError.NotFound);

    /// <inheritdoc/>
    public ValueTask<VfsError> SetXattrAsync(ulong node, string name, ReadOnlyMemory<byte> value, XattrFlags flags, CancellationToken ct = default) =>
        _xattrWriter.SetAsync(_nodes.Get(node), name, value, flags, ct);

    /// <inheritdoc/>
    public ValueTask<VfsError> RemoveXattrAsync(ulong node, string name, CancellationToken ct = default) =>
        _xattrWriter.RemoveAsync(_nodes.Get(node), name, ct);
}
