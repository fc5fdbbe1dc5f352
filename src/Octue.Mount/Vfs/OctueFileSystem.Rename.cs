namespace Octue.Mount.Vfs;

// rename(2): the ids resolved here, the rename done by Renamer.
public sealed partial class OctueFileSystem
{
    /// <inheritdoc/>
    public ValueTask<VfsError> RenameAsync(ulong parent, string name, ulong newParent, string newName, RenameFlags flags, CancellationToken ct = default) =>
        _renamer.RenameAsync(_nodes.Get(parent), name, _nodes.Get(newParent), newName, flags, ct);
}
