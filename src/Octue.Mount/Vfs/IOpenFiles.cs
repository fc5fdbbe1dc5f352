using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// What a change to a name or to metadata needs of the files open on a node and of the copies whose upload failed
/// for now: the file system's write handles own that state (their staged copies, gates and bases), and the
/// services that rename or change attributes go through here rather than touch it.
/// </summary>
internal interface IOpenFiles
{
    /// <summary>Uploads whatever the node's open write handles hold staged and not yet uploaded.</summary>
    ValueTask<VfsError> UploadWritersAsync(Node node, CancellationToken ct);

    /// <summary>The node's open writers now write <paramref name="copy"/> (its name, its generation as their precondition).</summary>
    ValueTask RebaseWritersAsync(Node node, ObjectInfo copy, CancellationToken ct);

    /// <summary>The node's open handles of generation <paramref name="onlyGeneration"/> read <paramref name="current"/>, which holds the same bytes.</summary>
    void RebaseHandles(Node node, ObjectInfo current, long onlyGeneration);

    /// <summary>A metadata change the node's open writers carry into their upload (and their sidecars).</summary>
    ValueTask CarryIntoWritersAsync(Node node, MetadataPatch patch, ObjectInfo? patched, CancellationToken ct);

    /// <summary>Keeps generation <paramref name="generation"/> readable through the handles open on it, as an unlinked file stays.</summary>
    ValueTask PreserveReadersAsync(Node node, long generation, CancellationToken ct);

    /// <summary>The staged copies of a file whose name was taken over are not uploaded.</summary>
    ValueTask ForgetStagedCopiesAsync(Node node, CancellationToken ct);

    /// <summary>The pending upload of a file node, if it has one.</summary>
    PendingUpload? PendingOf(Node node);

    /// <summary>The pending upload of a name in a prefix directory, if it has one.</summary>
    PendingUpload? PendingOf(Node dir, string name);

    /// <summary>Tries a failed upload again before its file is changed: None when nothing is pending any more.</summary>
    ValueTask<VfsError> RetryPendingAsync(PendingUpload? pending, CancellationToken ct);

    /// <summary>Tries again every failed upload under a prefix.</summary>
    ValueTask<VfsError> RetryPendingUnderAsync(string bucket, string prefix, CancellationToken ct);

    /// <summary>Drops a failed upload whose name was taken over.</summary>
    ValueTask DropPendingAsync(PendingUpload? pending, string why);
}
