namespace Octue.Mount.Vfs;

// Symbolic links: the ids resolved here, the links made and read by Symlinks.
public sealed partial class OctueFileSystem
{
    /// <inheritdoc/>
    public ValueTask<VfsResult<NodeAttributes>> SymlinkAsync(ulong parent, string name, string target, FileOwner? owner = null, CancellationToken ct = default) =>
        _symlinks.CreateAsync(_nodes.Get(parent), name, target, owner, ct);

    /// <inheritdoc/>
    public ValueTask<VfsResult<string>> ReadLinkAsync(ulong node, CancellationToken ct = default) =>
        _nodes.Get(node) is { } n ? _symlinks.ReadAsync(n, ct) : ValueTask.FromResult<VfsResult<string>>(VfsError.NotFound);
}
