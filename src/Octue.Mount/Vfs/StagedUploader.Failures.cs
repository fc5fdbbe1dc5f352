using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// What a failed upload means: a lost race or a refusal for good keeps the bytes in conflicts/, a failure that may pass
// leaves them staged, and an upload whose reply was lost is recognised by the bytes the object already holds.
internal sealed partial class StagedUploader
{
    /// <summary>
    /// Decides what a failed upload of <paramref name="staged"/> means: null when only the metadata changed meanwhile
    /// (prepare and send again), else the final result (bytes moved to conflicts/ for a lost race or a refusal, left in
    /// staging/ for a failure that may pass).
    /// </summary>
    /// <param name="staged">The copy whose upload failed.</param>
    /// <param name="plan">What was sent (null when the failure came before the upload).</param>
    /// <param name="failure">What the store (or the local disk) threw.</param>
    /// <param name="metadataRaces">How many metadata races this upload already merged.</param>
    /// <param name="afterCrash">True for a copy a previous run left behind (only the log's wording changes).</param>
    /// <param name="ct">Cancels the checks a lost race needs; the copy then stays staged.</param>
    public async Task<StagedUploadResult?> DecideAfterFailureAsync(StagedFile staged, StagedUploadPlan? plan, Exception failure, int metadataRaces,
        bool afterCrash, CancellationToken ct)
    {
        var sidecar = staged.Sidecar;
        var uri = $"gs://{sidecar.Bucket}/{sidecar.ObjectName}";
        if (failure is OperationCanceledException && ct.IsCancellationRequested)
        {
            return Deferred(staged, uri, VfsError.Interrupted, failure);
        }

        if (failure is PreconditionFailedException)
        {
            ObjectInfo? current;
            try
            {
                current = await _stat(sidecar.Bucket, sidecar.ObjectName, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // What happened cannot be told now: the bytes stay for a later attempt, which decides again.
                return Deferred(staged, uri, ErrorMapping.Map(e, _logger, "upload", uri), e);
            }

            string reason;
            if (plan?.Options.IfMetagenerationMatch is not null && current is not null && current.Generation == sidecar.BaseGeneration)
            {
                if (metadataRaces < MaxMetadataRaces)
                {
                    return null;
                }

                reason = "its metadata kept changing during the upload";
            }
            else
            {
                try
                {
                    if (current is not null && await HoldsStagedBytesAsync(staged, current, ct).ConfigureAwait(false))
                    {
                        // GCS took this very upload (its reply was lost, or the process stopped before recording it).
                        return await CompleteAsync(staged, current, alreadyThere: true, ct).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
                {
                    return Deferred(staged, uri, ErrorMapping.Map(e, _logger, "upload", uri), e);
                }

                reason = sidecar.BaseGeneration == 0
                    ? "the object was created by someone else meanwhile"
                    : $"the object changed since generation {sidecar.BaseGeneration}";
            }

            return Keep(staged, StagedUploadOutcome.LostRace, VfsError.Stale, reason, failure, afterCrash);
        }

        if (failure is StagedCopyIncompleteException)
        {
            return Keep(staged, StagedUploadOutcome.Refused, VfsError.IoError, failure.Message, failure, afterCrash);
        }

        if (IsRefusal(failure))
        {
            var error = failure is PermissionDeniedException ? VfsError.AccessDenied : VfsError.IoError;
            return Keep(staged, StagedUploadOutcome.Refused, error, $"GCS refused the upload for good: {failure.Message}", failure, afterCrash);
        }

        return Deferred(staged, uri, ErrorMapping.Map(failure, _logger, "upload", uri), failure);
    }

    /// <summary>
    /// A final answer from the store, which no retry changes: no such bucket (404), no permission (401, 403), a
    /// request it will not take (400, 413 and other 4xx but 408 and 429). Failures that persisted after retries
    /// (408, 429, 5xx, broken connections) may pass; a hash mismatch means bytes changed on the way, not that GCS
    /// refuses them; a precondition failure is a race, decided apart.
    /// </summary>
    internal static bool IsRefusal(Exception failure) =>
        failure is ObjectStoreException and not (TransientStoreException or CorruptionException or PreconditionFailedException);

    /// <summary>Moves the bytes of a lost race or a refusal to conflicts/, and says where.</summary>
    private StagedUploadResult Keep(StagedFile staged, StagedUploadOutcome outcome, VfsError error, string reason, Exception cause, bool afterCrash)
    {
        var uri = $"gs://{staged.Sidecar.Bucket}/{staged.Sidecar.ObjectName}";
        string kept;
        try
        {
            kept = _staging.KeepConflict(staged, afterCrash ? $"found after a crash; {reason}" : reason);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The bytes stay where they are: a person can look at them, and a later attempt decides again.
            _logger.LogError(e, "The bytes of {Uri} could not be moved to conflicts/ ({Reason}); they stay in {Path}", uri, reason, staged.DataPath);
            return new StagedUploadResult(StagedUploadOutcome.Deferred, ErrorMapping.Map(e, _logger, "keep", staged.DataPath), Cause: e);
        }

        var changes = afterCrash ? "Unsaved changes from a previous run to" : "Changes to";
        if (outcome == StagedUploadOutcome.LostRace)
        {
            _metrics.Conflict();
            _logger.LogWarning(cause, "{Changes} {Uri} lost a race ({Reason}); the bytes are kept in {Path}", changes, uri, reason, kept);
        }
        else
        {
            _metrics.RefusedUpload();
            _logger.LogError(cause, "{Changes} {Uri} cannot be uploaded ({Reason}); the bytes are kept in {Path} and will not be retried", changes, uri, reason, kept);
        }

        return new StagedUploadResult(outcome, error, KeptPath: kept, Cause: cause);
    }

    private StagedUploadResult Deferred(StagedFile staged, string uri, VfsError error, Exception cause)
    {
        _logger.LogWarning("{Uri} could not be uploaded now ({Error}); its bytes stay in {Path} for a later attempt", uri, error, staged.DataPath);
        return new StagedUploadResult(StagedUploadOutcome.Deferred, error, Cause: cause);
    }

    /// <summary>True when <paramref name="current"/> holds exactly the staged bytes (same size and CRC32C).</summary>
    private static async Task<bool> HoldsStagedBytesAsync(StagedFile staged, ObjectInfo current, CancellationToken ct)
    {
        if (current.Crc32c is not { } remote || current.Size != new FileInfo(staged.DataPath).Length)
        {
            return false;
        }

        var hasher = new Integrity.Crc32CHasher();
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            await using var stream = staged.OpenReadStream();
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
}
