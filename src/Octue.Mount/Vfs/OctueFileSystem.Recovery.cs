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
    /// and are reported; nothing is dropped. Failures other than a lost race leave the file for the next start, and
    /// a failure of one file for a local reason (a damaged file, a full or failing disk) never stops the mount.
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
                // Stopped before the first byte, after a confirmed upload, or after the file was unlinked while
                // open: nothing to recover.
                TryDelete(dataPath);
                TryDelete(sidecarPath);
                continue;
            }

            try
            {
                await RecoverAsync(dataPath, sidecarPath, sidecar, uri, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The bytes stay where they are: a person can look at them, and the next start tries again.
                _metrics.Recovered("local_error");
                _logger.LogError(e, "Unsaved changes to {Uri} from a previous run could not be recovered because of a local error ({Reason}); kept in {Path}",
                    uri, e.Message, dataPath);
            }
        }
    }

    /// <summary>
    /// Uploads one leftover staged file. Its metadata is merged with changes made elsewhere since it was staged (when
    /// the sidecar knows its base) and sent with IfMetagenerationMatch; a race on the metadata alone is merged again.
    /// </summary>
    private async Task RecoverAsync(string dataPath, string sidecarPath, StagingSidecar sidecar, string uri, CancellationToken ct)
    {
        for (var metadataRaces = 0; ; metadataRaces++)
        {
            try
            {
                var (metadata, ifMetagenerationMatch) = await MetadataToRecoverAsync(sidecar, ct).ConfigureAwait(false);
                metadata = WithLastWriteTime(metadata, sidecar, dataPath);
                ObjectInfo info;
                await using (var content = new FileStream(dataPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
                {
                    info = await _store.UploadAsync(sidecar.Bucket, sidecar.ObjectName, content, new UploadOptions
                    {
                        ContentType = sidecar.ContentType,
                        Metadata = metadata,
                        IfGenerationMatch = sidecar.BaseGeneration,
                        IfMetagenerationMatch = ifMetagenerationMatch,
                    }, ct).ConfigureAwait(false);
                }

                _reads.MarkVerified(info.Bucket, info.Name, info.Generation);
                TryDelete(dataPath);
                TryDelete(sidecarPath);
                _metrics.Recovered("uploaded");
                _logger.LogWarning("Recovered unsaved changes to {Uri} from a previous run (now generation {Generation})", uri, info.Generation);
                return;
            }
            catch (PreconditionFailedException)
            {
                // A lost race, on the metadata alone or on the bytes: decided below, outside this handler.
            }
            catch (ObjectStoreException e)
            {
                RecoveryFailed(e, uri, dataPath);
                return;
            }

            try
            {
                if (sidecar.BaseGeneration != 0 && sidecar.BaseMetageneration is not null && metadataRaces < MaxPreconditionRetries &&
                    (await _store.StatAsync(sidecar.Bucket, sidecar.ObjectName, ct).ConfigureAwait(false))?.Generation == sidecar.BaseGeneration)
                {
                    // Only the metadata changed while we uploaded: merge again.
                    continue;
                }

                if (await AlreadyUploadedAsync(dataPath, sidecar, ct).ConfigureAwait(false))
                {
                    // The process stopped after GCS took the upload and before it was recorded: nothing to recover.
                    TryDelete(dataPath);
                    TryDelete(sidecarPath);
                    _metrics.Recovered("already_uploaded");
                    return;
                }

                var kept = _staging.KeepConflict(dataPath, sidecarPath, sidecar,
                    $"found after a crash; {uri} changed since generation {sidecar.BaseGeneration}");
                _metrics.Recovered("conflict");
                _metrics.Conflict();
                _logger.LogWarning("Unsaved changes to {Uri} from a previous run could not be uploaded because the object changed meanwhile; kept in {Path}", uri, kept);
                return;
            }
            catch (ObjectStoreException e)
            {
                RecoveryFailed(e, uri, dataPath);
                return;
            }
        }
    }

    private void RecoveryFailed(ObjectStoreException e, string uri, string dataPath)
    {
        _metrics.Recovered("failed");
        _logger.LogError(e, "Unsaved changes to {Uri} from a previous run could not be uploaded now; kept in {Path} for the next start", uri, dataPath);
    }

    /// <summary>
    /// The metadata a recovered upload sends, and its metageneration precondition: the sidecar's, merged over the
    /// object's when its metadata changed since the copy's base (the generation precondition decides the rest).
    /// Sidecars that do not know their base (new objects, older sidecars) are uploaded as they are.
    /// </summary>
    private async Task<(IReadOnlyDictionary<string, string> Metadata, long? IfMetagenerationMatch)> MetadataToRecoverAsync(StagingSidecar sidecar, CancellationToken ct)
    {
        if (sidecar.BaseGeneration == 0 || sidecar.BaseMetageneration is not { } baseMetageneration || sidecar.BaseMetadata is not { } baseMetadata)
        {
            return (sidecar.Metadata, null);
        }

        var current = await _store.StatAsync(sidecar.Bucket, sidecar.ObjectName, ct).ConfigureAwait(false);
        if (current is null || current.Generation != sidecar.BaseGeneration || current.Metageneration == baseMetageneration)
        {
            return (sidecar.Metadata, baseMetageneration);
        }

        return (MetadataMerge.Merge(current.Metadata, baseMetadata, sidecar.Metadata), current.Metageneration);
    }

    /// <summary>
    /// The mtime a live upload would have stamped: the time of the last write, which is the staged data file's own
    /// last-write time, unless an mtime set explicitly since (already in the metadata) wins, or the bytes never
    /// changed (the metadata keeps the base object's mtime).
    /// </summary>
    private static IReadOnlyDictionary<string, string> WithLastWriteTime(IReadOnlyDictionary<string, string> metadata, StagingSidecar sidecar,
        string dataPath)
    {
        if (!sidecar.BytesChanged || sidecar.ModifiedExplicitly)
        {
            return metadata;
        }

        var stamped = new Dictionary<string, string>(metadata, StringComparer.Ordinal);
        PosixMetadata.SetModified(stamped, PosixMetadata.ToNs(File.GetLastWriteTimeUtc(dataPath)));
        return stamped;
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
