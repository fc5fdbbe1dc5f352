namespace Octue.Mount.Vfs;

// A manifest's dataset node becomes what its dataset is (ManifestProjection works it out) on the first use of any node.
public sealed partial class OctueFileSystem
{
    /// <summary>
    /// Makes a manifest's dataset node (<see cref="DirectoryRole.Dataset"/>) what its dataset is, reading the dataset
    /// on the first use of any of its nodes; other nodes are left as they are. Every operation that takes a node (or a
    /// parent) calls this first. A dataset that cannot be reached for good is an empty folder; an error that may pass
    /// fails this operation only, and the next one tries again.
    /// </summary>
    private async ValueTask<VfsError> ProjectDatasetNodeAsync(Node? node, CancellationToken ct)
    {
        if (node is not { Role: DirectoryRole.Dataset, Dataset: { } dataset })
        {
            return VfsError.None;
        }

        try
        {
            // Shared by every waiter, so one caller giving up does not cancel the others' reading.
            var projection = await dataset.ProjectAsync(() => _projection.ProjectAsync(dataset, CancellationToken.None)).WaitAsync(ct).ConfigureAwait(false);
            node.Project(projection);
            return VfsError.None;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "read dataset", $"'{dataset.Key}' ({dataset.Reference.Path})");
        }
    }

    private ValueTask<VfsError> ProjectDatasetNodeAsync(ulong node, CancellationToken ct) => ProjectDatasetNodeAsync(_nodes.Get(node), ct);
}
