using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// What renames and attribute changes need of the open files (IOpenFiles): the write handles' state stays here.
public sealed partial class OctueFileSystem : IOpenFiles
{
    private IOpenFiles OpenFiles => this;

    /// <inheritdoc/>
    async ValueTask<VfsError> IOpenFiles.UploadWritersAsync(Node node, CancellationToken ct)
    {
        var writers = WritersOf(node);
        foreach (var writer in writers)
        {
            await writer.Gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var error = await UploadIfDirtyAsync(writer, ct).ConfigureAwait(false);
                if (error != VfsError.None)
                {
                    return error;
                }
            }
            finally
            {
                writer.Gate.Release();
            }
        }

        if (writers.Length > 0)
        {
            // A file created by this mount may still be cached as absent: the rename must see what was just uploaded.
            _metadata.InvalidateObject(node.Bucket, node.ObjectName);
            _metadata.InvalidateListing(node.Parent?.Bucket ?? node.Bucket, node.Parent?.ObjectName ?? "");
        }

        return VfsError.None;
    }

    /// <summary>
    /// Open writers of a renamed file now write the copy: their upload goes to its name with the copy's generation
    /// as precondition. Their sidecars say so on disk at once, so that a recovery after a crash uploads what they
    /// write next to the new name, not to the old one (gone: it would be a lost race). Each writer's gate is taken:
    /// its writes save the same sidecar.
    /// </summary>
    async ValueTask IOpenFiles.RebaseWritersAsync(Node node, ObjectInfo copy, CancellationToken ct)
    {
        foreach (var writer in WritersOf(node))
        {
            await writer.Gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                writer.Base = copy;
                writer.Staged?.Rebase(copy);
            }
            finally
            {
                writer.Gate.Release();
            }
        }
    }

    /// <summary>
    /// Open writers upload metadata captured when they staged: give them the change so their upload keeps it, and
    /// write it to their sidecars so a crash before that upload keeps it too. A writer that has not staged yet takes
    /// the <paramref name="patched"/> object as its base, so the copy its first write stages carries the change (and
    /// stat shows it meanwhile). Each writer's gate is taken: its upload reads the same metadata.
    /// </summary>
    async ValueTask IOpenFiles.CarryIntoWritersAsync(Node node, MetadataPatch patch, ObjectInfo? patched, CancellationToken ct)
    {
        foreach (var writer in WritersOf(node))
        {
            await writer.Gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                if (writer.Staged is not { } staged)
                {
                    if (patched is not null && writer.Base is { } unchanged && unchanged.Generation == patched.Generation &&
                        unchanged.Metageneration < patched.Metageneration)
                    {
                        writer.Base = patched;
                    }

                    continue;
                }

                foreach (var (key, text) in patch.Metadata)
                {
                    if (text is null)
                    {
                        staged.Sidecar.Metadata.Remove(key);
                    }
                    else
                    {
                        staged.Sidecar.Metadata[key] = text;
                    }
                }

                if (patch.ContentType is not null)
                {
                    staged.Sidecar.ContentType = patch.ContentType;
                }

                await staged.SaveSidecarAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                writer.Gate.Release();
            }
        }
    }

    void IOpenFiles.RebaseHandles(Node node, ObjectInfo current, long onlyGeneration) =>
        RebaseOpenHandles(node, current, uploader: null, onlyGeneration);

    ValueTask IOpenFiles.PreserveReadersAsync(Node node, long generation, CancellationToken ct) => PreserveOpenReadersAsync(node, generation, ct);

    ValueTask IOpenFiles.ForgetStagedCopiesAsync(Node node, CancellationToken ct) => ForgetStagedCopiesAsync(node, ct);

    PendingUpload? IOpenFiles.PendingOf(Node node) => _pending.Of(node);

    PendingUpload? IOpenFiles.PendingOf(Node dir, string name) => _pending.Of(dir, name);

    ValueTask<VfsError> IOpenFiles.RetryPendingAsync(PendingUpload? pending, CancellationToken ct) => RetryPendingUploadAsync(pending, ct);

    ValueTask<VfsError> IOpenFiles.RetryPendingUnderAsync(string bucket, string prefix, CancellationToken ct) =>
        RetryPendingUploadsUnderAsync(bucket, prefix, ct);

    async ValueTask IOpenFiles.DropPendingAsync(PendingUpload? pending, string why) =>
        await DropPendingUploadAsync(pending, why).ConfigureAwait(false);
}
