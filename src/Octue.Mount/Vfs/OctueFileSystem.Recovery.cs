using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;

namespace Octue.Mount.Vfs;

// Staged files left behind by a process that stopped before their upload was confirmed.
public sealed partial class OctueFileSystem
{
    /// <summary>
    /// Uploads each leftover staged file through the same conditional upload as a close (<see cref="StagedUploader"/>):
    /// when its precondition still holds (the object is still at the generation the copy was based on, or still
    /// absent for a new file) it is uploaded; when it no longer holds, or GCS refuses it for good, the bytes move to
    /// conflicts/ and are reported; nothing is dropped. A failure that may pass leaves the file for the next start,
    /// and a failure of one file for a local reason (a damaged file, a full or failing disk) never stops the mount.
    /// </summary>
    private async Task RecoverStagedFilesAsync(CancellationToken ct)
    {
        _staging.DeleteOrphans();
        foreach (var (dataPath, sidecarPath, sidecar) in _staging.FindLeftovers())
        {
            if (sidecar is null)
            {
                _logger.LogError("Staged file {Path} has an unreadable sidecar {Sidecar}; left in place for inspection", dataPath, sidecarPath);
                _metrics.Recovered("unreadable");
                continue;
            }

            if (StagingArea.IsInUse(dataPath))
            {
                // Held open by a running mount that shares this cache folder: not left behind.
                continue;
            }

            var uri = $"gs://{sidecar.Bucket}/{sidecar.ObjectName}";
            if (!File.Exists(dataPath) || sidecar.Clean || sidecar.Unlinked)
            {
                // Stopped before the first change was recorded, after a confirmed upload, or after the file was unlinked
                // while open: nothing to recover.
                TryDelete(dataPath);
                TryDelete(sidecarPath);
                continue;
            }

            StagedFile staged;
            try
            {
                staged = StagingArea.OpenLeftover(dataPath, sidecarPath, sidecar);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The bytes stay where they are: a person can look at them, and the next start tries again.
                _metrics.Recovered("local_error");
                _logger.LogError(e, "Unsaved changes to {Uri} from a previous run could not be recovered because of a local error ({Reason}); kept in {Path}",
                    uri, e.Message, dataPath);
                continue;
            }

            var result = await _uploader.UploadAsync(staged, RecoveredModifiedNs(sidecar, dataPath), afterCrash: true, ct).ConfigureAwait(false);
            // The upload's checks cached what they saw before it.
            _metadata.InvalidateObject(sidecar.Bucket, sidecar.ObjectName);
            if (result.Object is { } recovered)
            {
                _metadata.PutStat(recovered.Bucket, recovered.Name, recovered);
            }

            switch (result.Outcome)
            {
                case StagedUploadOutcome.Uploaded:
                    staged.Delete();
                    _metrics.Recovered(result.AlreadyThere ? "already_uploaded" : "uploaded");
                    if (!result.AlreadyThere)
                    {
                        _logger.LogWarning("Recovered unsaved changes to {Uri} from a previous run (now generation {Generation})", uri, result.Object!.Generation);
                    }

                    break;
                case StagedUploadOutcome.LostRace:
                    _metrics.Recovered("conflict");
                    break;
                case StagedUploadOutcome.Refused:
                    _metrics.Recovered("refused");
                    break;
                case StagedUploadOutcome.Deferred when result.IsLocalFailure:
                    staged.Dispose();
                    _metrics.Recovered("local_error");
                    _logger.LogError(result.Cause, "Unsaved changes to {Uri} from a previous run could not be recovered because of a local error ({Reason}); kept in {Path}",
                        uri, result.Cause?.Message, dataPath);
                    break;
                default:
                    // The store may take it later: it is shown under its name meanwhile, retried when the file is
                    // next opened or changed and at the next start, and dropped if the file is removed.
                    _metrics.Recovered("failed");
                    var modifiedNs = RecoveredModifiedNs(sidecar, dataPath);
                    KeepPending(staged, modifiedNs, modifiedNs ?? PosixMetadata.ToNs(File.GetLastWriteTimeUtc(dataPath)), result.Error);
                    break;
            }
        }
    }

    /// <summary>
    /// The mtime a live upload would have stamped: the time of the last write, which is the staged data file's own
    /// last-write time, unless an mtime set explicitly since (already in the metadata) wins, or the bytes never
    /// changed (the metadata keeps the base object's mtime): null then.
    /// </summary>
    private static long? RecoveredModifiedNs(StagingSidecar sidecar, string dataPath) =>
        sidecar.BytesChanged && !sidecar.ModifiedExplicitly ? PosixMetadata.ToNs(File.GetLastWriteTimeUtc(dataPath)) : null;

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
