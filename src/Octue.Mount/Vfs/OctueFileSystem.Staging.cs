using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// A handle's staged copy: made at its first change, dropped when a change could not be written, uploaded when dirty.
public sealed partial class OctueFileSystem
{
    /// <summary>
    /// A write, truncation or extension the handle's staged copy could not take (a full or failing disk, or a copy
    /// that could not be made): uploading the copy now would publish an object without that change (the first 64 MB
    /// of a 200 MB copy, say). The copy is discarded at once, which gives its space back and leaves nothing in
    /// staging/ for a recovery to find; the object keeps the bytes it had; the error sticks to the handle, so flush,
    /// fsync and close report it too. An interrupted call changed nothing and is not a missed write.
    /// </summary>
    private VfsError WriteMissed(FileHandle handle, VfsError error)
    {
        if (error is VfsError.Interrupted or VfsError.None)
        {
            return error;
        }

        if (handle.Writes.Conflict(error) is { } staged)
        {
            if (staged.Delete())
            {
                _logger.LogError("A change to {Object} could not be written to its staged copy ({Error}): the copy ({Size} bytes) is discarded and not uploaded; the object keeps its last saved content",
                    handle.Node, error, staged.Length);
            }
            else
            {
                _logger.LogCritical("A change to {Object} could not be written to its staged copy ({Error}), and the copy could not be removed: delete {Path} and {Sidecar} before the next mount, which would upload them",
                    handle.Node, error, staged.DataPath, staged.SidecarPath);
            }
        }
        else
        {
            _logger.LogError("A change to {Object} could not be staged ({Error}); nothing of this handle will be uploaded", handle.Node, error);
        }

        return handle.Failure;
    }

    /// <summary>
    /// Creates the handle's staged copy (sidecar first), filled with the object's verified bytes when asked. A new
    /// file's sidecar starts with <paramref name="newFileMetadata"/>; a copy of an object with the object's metadata.
    /// </summary>
    private async ValueTask<VfsError> StageAsync(FileHandle handle, bool copyContent, CancellationToken ct,
        IReadOnlyDictionary<string, string>? newFileMetadata = null)
    {
        var node = handle.Node;
        var baseObject = handle.Base;
        StagedFile? staged = null;
        try
        {
            var contentType = baseObject is null ? ContentTypes.Guess(node.Name) : baseObject.ContentType;
            staged = await _staging.CreateAsync(node.Bucket, node.ObjectName, baseObject?.Generation ?? 0, contentType,
                baseObject?.Metadata ?? newFileMetadata ?? ObjectInfo.EmptyMetadata, ct, baseObject?.Metageneration).ConfigureAwait(false);
            if (copyContent && baseObject is { Size: > 0 })
            {
                var reader = ReaderOf(handle, baseObject);
                var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(CopyBufferSize);
                try
                {
                    long offset = 0;
                    while (offset < baseObject.Size)
                    {
                        var read = await reader.ReadAsync(offset, buffer.AsMemory(0, CopyBufferSize), ct).ConfigureAwait(false);
                        if (read == 0)
                        {
                            throw new CorruptionException($"{node} ended at {offset} of {baseObject.Size} bytes");
                        }

                        await staged.WriteAsync(offset, buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                        offset += read;
                    }
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            if (node.Detached)
            {
                // The first write to a file already unlinked (or renamed over): its bytes go nowhere, not even after
                // a crash.
                await staged.MarkUnlinkedAsync(ct).ConfigureAwait(false);
            }

            handle.Writes.StageCopy(staged);
            _uploader.StreamWhileWritten(staged);
            return VfsError.None;
        }
        catch (Exception e) when (baseObject is not null && e is ObjectNotFoundException or PreconditionFailedException)
        {
            // The generation this handle opened was replaced or deleted elsewhere before its first write: writing on
            // top of it would lose the other writer's update, so the handle is stale, as it would be at upload.
            staged?.Delete();
            _metrics.Conflict();
            _logger.LogWarning("{Object} changed elsewhere before this handle's first write; the handle is stale", node);
            return VfsError.Stale;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            staged?.Delete();
            if (e is CorruptionException)
            {
                _metrics.IntegrityFailure();
            }

            return ErrorMapping.Map(e, _logger, "stage", node.ToString());
        }
    }

    /// <summary>
    /// Uploads the handle's staged copy when it differs from the object, through the one conditional upload
    /// (<see cref="StagedUploader"/>): preconditions on the copy's base, metadata changed elsewhere merged, a lost race
    /// or a refusal for good kept in conflicts/ (the handle then fails for good: ESTALE, or EIO/EACCES), a failure that
    /// may pass leaving the copy staged. Called with the handle's gate held.
    /// </summary>
    private async ValueTask<VfsError> UploadIfDirtyAsync(FileHandle handle, CancellationToken ct)
    {
        if (handle.Failure != VfsError.None)
        {
            return handle.Failure;
        }

        if (handle.Staged is not { Dirty: true } staged)
        {
            return VfsError.None;
        }

        var node = handle.Node;
        if (IsUnlinked(node))
        {
            // The file was unlinked while open: its bytes have nowhere to go, as on a local disk.
            _logger.LogDebug("Dropping staged changes to unlinked {Object}", node);
            try
            {
                await staged.MarkUploadedAsync(staged.Sidecar.BaseGeneration, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Clean in memory already; release deletes the copy.
                _logger.LogDebug(e, "Could not record dropped changes in {Sidecar}", staged.SidecarPath);
            }

            return VfsError.None;
        }

        // The node's name now (a rename may have moved it since the copy was staged).
        string bucket, name;
        lock (_nodes.SyncRoot)
        {
            (bucket, name) = (node.Bucket, node.ObjectName);
        }

        staged.Sidecar.Bucket = bucket;
        staged.Sidecar.ObjectName = name;
        StagedUploadResult result;
        try
        {
            result = await _uploader.UploadAsync(handle.Writes.BeginUpload(), handle.ModifiedNs, afterCrash: false, ct).ConfigureAwait(false);
        }
        finally
        {
            // Staged when confirmed (the copy's sidecar is clean), dirty again when it failed for now.
            handle.Writes.EndUpload();
        }

        switch (result.Outcome)
        {
            case StagedUploadOutcome.Uploaded:
                var info = result.Object!;
                handle.Base = info;
                if (handle.Reader is { } oldReader)
                {
                    await oldReader.DisposeAsync().ConfigureAwait(false);
                    handle.Reader = null;
                }

                RecordOwnChange(node, info);
                RebaseOpenHandles(node, info, handle, onlyGeneration: null);
                return VfsError.None;
            case StagedUploadOutcome.LostRace or StagedUploadOutcome.Refused:
                // The bytes are in conflicts/: nothing more of this handle may be uploaded (a later write would
                // stage from the old object again and publish a partial change).
                handle.Writes.Conflict(result.Error);
                _metadata.InvalidateObject(bucket, name);
                // The kernel may hold this copy's attributes (cached like any others): the file is the object again,
                // and a stat right after the failed close must show it, so its attributes go before the reply does.
                InvalidationSink?.InvalidateAttributes(node.Id);
                InvalidationSink?.InvalidateNode(node.Id);
                return result.Error;
            default:
                return result.Error;
        }
    }
}
