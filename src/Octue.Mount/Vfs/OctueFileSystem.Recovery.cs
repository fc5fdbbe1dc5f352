using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// Staged files left behind by a process that stopped before their upload was confirmed.
public sealed partial class OctueFileSystem
{
    /// <summary>
    /// Uploads each leftover staged file whose precondition still holds (the object is still at the generation the
    /// copy was based on, or still absent for a new file). When it no longer holds, the bytes move to conflicts/
    /// and are reported; nothing is dropped. Failures other than a lost race leave the file for the next start.
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
            if (!File.Exists(dataPath) || sidecar.Clean)
            {
                // Stopped before the first byte, or after a confirmed upload: nothing to recover.
                TryDelete(dataPath);
                TryDelete(sidecarPath);
                continue;
            }

            try
            {
                ObjectInfo info;
                await using (var content = new FileStream(dataPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
                {
                    _metrics.Request("upload");
                    info = await _store.UploadAsync(sidecar.Bucket, sidecar.ObjectName, content, new UploadOptions
                    {
                        ContentType = sidecar.ContentType,
                        Metadata = sidecar.Metadata,
                        IfGenerationMatch = sidecar.BaseGeneration,
                    }, ct).ConfigureAwait(false);
                }

                _reads.MarkVerified(info.Bucket, info.Name, info.Generation);
                TryDelete(dataPath);
                TryDelete(sidecarPath);
                _metrics.Recovered("uploaded");
                _logger.LogWarning("Recovered unsaved changes to {Uri} from a previous run (now generation {Generation})", uri, info.Generation);
            }
            catch (PreconditionFailedException)
            {
                if (await AlreadyUploadedAsync(dataPath, sidecar, ct).ConfigureAwait(false))
                {
                    // The process stopped after GCS took the upload and before it was recorded: nothing to recover.
                    TryDelete(dataPath);
                    TryDelete(sidecarPath);
                    _metrics.Recovered("already_uploaded");
                    continue;
                }

                var kept = _staging.KeepConflict(dataPath, sidecarPath, sidecar,
                    $"found after a crash; {uri} changed since generation {sidecar.BaseGeneration}");
                _metrics.Recovered("conflict");
                _metrics.Conflict();
                _logger.LogWarning("Unsaved changes to {Uri} from a previous run could not be uploaded because the object changed meanwhile; kept in {Path}", uri, kept);
            }
            catch (ObjectStoreException e)
            {
                _metrics.Recovered("failed");
                _logger.LogError(e, "Unsaved changes to {Uri} from a previous run could not be uploaded now; kept in {Path} for the next start", uri, dataPath);
            }
        }
    }

    /// <summary>True when the object now holds exactly the staged bytes (same size and CRC32C).</summary>
    private async Task<bool> AlreadyUploadedAsync(string dataPath, StagingSidecar sidecar, CancellationToken ct)
    {
        var current = await _store.StatAsync(sidecar.Bucket, sidecar.ObjectName, ct).ConfigureAwait(false);
        if (current?.Crc32c is not { } remote || current.Size != new FileInfo(dataPath).Length)
        {
            return false;
        }

        var hasher = new Integrity.Crc32CHasher();
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            await using var stream = new FileStream(dataPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: true);
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, 1 << 20), ct).ConfigureAwait(false)) > 0)
            {
                hasher.Append(buffer.AsSpan(0, read));
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        return hasher.Value == remote;
    }

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
