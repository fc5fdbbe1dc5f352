namespace Octue.Mount.Vfs;

// Every operation that takes a node (or a parent) first makes a manifest's dataset node what its dataset is
// (NodeResolver.ProjectDatasetAsync; ManifestProjection works it out).
public sealed partial class OctueFileSystem
{
    private ValueTask<VfsError> ProjectDatasetNodeAsync(Node? node, CancellationToken ct) => _resolver.ProjectDatasetAsync(node, ct);

    private ValueTask<VfsError> ProjectDatasetNodeAsync(ulong node, CancellationToken ct) => _resolver.ProjectDatasetAsync(_nodes.Get(node), ct);
}
