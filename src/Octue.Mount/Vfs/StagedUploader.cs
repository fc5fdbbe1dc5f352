using System.Buffers;
using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// The one way a staged copy reaches its object, for an upload at flush, fsync or close and for a copy a previous run
/// left behind alike. Only the copy's sidecar describes the upload (the object, the base it was copied from, the
/// metadata, the content type), so both are treated the same way:
/// <list type="bullet">
/// <item>metadata changed elsewhere since the copy's base (a tag, a chmod from another mount) is merged in, and only
/// the keys this copy changed are applied over it;</item>
/// <item>the upload carries IfGenerationMatch = the base generation (0 for a new object) and IfMetagenerationMatch =
/// the base metageneration, so nothing written elsewhere is overwritten unseen; a race on the metadata alone is
/// merged again and retried;</item>
/// <item>a lost race moves the bytes to <c>conflicts/</c> (the writer gets ESTALE), unless the object turns out to
/// hold exactly these bytes already (an upload whose reply was lost);</item>
/// <item>a refusal for good (a 4xx other than 408 and 429) moves them to <c>conflicts/</c> too, so no start retries
/// them for ever; a failure that may pass leaves them in <c>staging/</c>;</item>
/// <item>a confirmed upload is recorded in the sidecar and seeds the content cache.</item>
/// </list>
/// A copy written from its start in order streams while it is written (<see cref="StreamWhileWritten"/>,
/// <see cref="StreamedUpload"/>); its upload here only finishes the stream, with the same plan, preconditions and
/// outcomes, and falls back to sending the copy whole when the stream cannot finish it. A copy whose staged file
/// missed a write never comes here: it is discarded when the write fails (which cancels its stream).
/// </summary>
internal sealed partial class StagedUploader
{
    /// <summary>How many times a race on the metadata alone is merged again before the upload gives up (ESTALE, bytes kept).</summary>
    public const int MaxMetadataRaces = 3;

    private readonly IObjectStore _store;
    private readonly StagingArea _staging;
    private readonly ReadPath _reads;
    private readonly VfsMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Func<string, string, CancellationToken, Task<ObjectInfo?>> _stat;
    private readonly long _streamChunkSize;

    /// <summary>
    /// An uploader reading the current object with <paramref name="stat"/> (the file system's stat, which also
    /// refreshes its cache). Copies written from their start stream in chunks of <paramref name="streamChunkSize"/>
    /// bytes while they are written (0: never; they are uploaded whole).
    /// </summary>
    public StagedUploader(IObjectStore store, StagingArea staging, ReadPath reads, VfsMetrics metrics, ILogger logger,
        Func<string, string, CancellationToken, Task<ObjectInfo?>> stat, long streamChunkSize = 0)
    {
        _streamChunkSize = streamChunkSize;
        _store = store;
        _staging = staging;
        _reads = reads;
        _metrics = metrics;
        _logger = logger;
        _stat = stat;
    }

    /// <summary>
    /// Uploads <paramref name="staged"/> to the object its sidecar names. Failures of the store or of the local disk
    /// are not thrown: the result says what happened, and the log names the object and where its bytes are.
    /// </summary>
    /// <param name="staged">The copy; after a lost race or a refusal it has been moved away and closed.</param>
    /// <param name="modifiedNs">The mtime to record (the time of the last write), or null to keep the metadata's.</param>
    /// <param name="afterCrash">True for a copy a previous run left behind (only the log's wording changes).</param>
    /// <param name="ct">Cancels the upload; the copy then stays staged.</param>
    public async Task<StagedUploadResult> UploadAsync(StagedFile staged, long? modifiedNs, bool afterCrash, CancellationToken ct)
    {
        // A small file is read once, into memory, with the handle the copy already has open, and sent from there. A
        // larger one is streamed from the file, and adopted into the content cache from it.
        byte[]? small = null;
        var smallLength = -1;
        try
        {
            for (var metadataRaces = 0; ; metadataRaces++)
            {
                StagedUploadPlan? plan = null;
                ObjectInfo uploaded;
                ObjectInfo? streamed = null;
                try
                {
                    plan = await PrepareAsync(staged, modifiedNs, ct).ConfigureAwait(false);
                    streamed = await FinishStreamAsync(staged, plan, ct).ConfigureAwait(false);
                    if (streamed is not null)
                    {
                        uploaded = streamed;
                    }
                    else
                    {
                        if (small is null && staged.Length <= _reads.WholeObjectLimit)
                        {
                            smallLength = (int)staged.Length;
                            small = ArrayPool<byte>.Shared.Rent(Math.Max(smallLength, 1));
                            if (await staged.ReadAsync(0, small.AsMemory(0, smallLength), ct).ConfigureAwait(false) != smallLength)
                            {
                                throw new IOException($"{staged.DataPath} ended before its {smallLength} bytes");
                            }
                        }

                        await using (Stream content = small is null ? staged.OpenReadStream() : new MemoryStream(small, 0, smallLength, writable: false))
                        {
                            uploaded = await _store.UploadAsync(plan.Bucket, plan.Name, content, plan.Options, ct).ConfigureAwait(false);
                        }
                    }
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    if (await DecideAfterFailureAsync(staged, plan, e, metadataRaces, afterCrash, ct).ConfigureAwait(false) is { } decided)
                    {
                        return decided;
                    }

                    _logger.LogDebug("Metadata of {Uri} changed during its upload; merging again", plan?.Uri);
                    continue;
                }

                // A small file is not copied into the content cache: every open of it for reading downloads it
                // whole (its one request revalidates it and brings the bytes), so a cached copy would serve nothing
                // but cost its folder, state and chunk files on the path of every close. Its generation is recorded
                // verified for this mount, as a small file's download records it.
                return streamed is not null
                    ? await CompleteAsync(staged, uploaded, alreadyThere: false, ct, adopt: false).ConfigureAwait(false)
                    : small is not null
                        ? await CompleteAsync(staged, uploaded, alreadyThere: false, ct, adopt: false, rememberVerified: false).ConfigureAwait(false)
                        : await CompleteAsync(staged, uploaded, alreadyThere: false, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            if (small is not null)
            {
                ArrayPool<byte>.Shared.Return(small);
            }
        }
    }

    /// <summary>
    /// Lets the upload of <paramref name="staged"/> stream while it is written, from its start and in order (a new
    /// file, or one truncated to nothing): its first chunk opens a resumable session, the next ones follow as they are
    /// written, and the flush, fsync or close that uploads the copy only sends the rest (<see cref="UploadAsync"/>).
    /// Nothing happens for a copy that is not empty or while streaming is off.
    /// </summary>
    public void StreamWhileWritten(StagedFile staged)
    {
        if (_streamChunkSize > 0 && staged.Length == 0 && staged.Follower is null && !staged.Sidecar.Unlinked)
        {
            staged.Follower = new StreamedUpload(_store, staged, _streamChunkSize, _logger);
        }
    }

    /// <summary>
    /// Finishes the copy's streamed upload with <paramref name="plan"/> (null when it has none that can: the copy is
    /// then uploaded whole). The stream ends here whatever happens: later changes are uploaded whole. Metadata that
    /// changed since the session opened (the mtime of the last write, a chmod meanwhile) is applied to the new
    /// generation by a patch conditional on its metageneration.
    /// </summary>
    private async Task<ObjectInfo?> FinishStreamAsync(StagedFile staged, StagedUploadPlan plan, CancellationToken ct)
    {
        if (staged.Follower is not StreamedUpload { Started: true } stream)
        {
            // Not streaming (yet): a flush before the first chunk (dd closes a duplicate of its descriptor right after
            // opening) uploads the copy whole, and the stream may still start from the new base.
            return null;
        }

        staged.Follower = null;
        if (await stream.FinishAsync(plan, staged.Length, ct).ConfigureAwait(false) is not { } finished)
        {
            return null;
        }

        var patch = MetadataChanges(stream.Sent!.Options.Metadata, plan.Options.Metadata);
        if (patch is null)
        {
            return finished;
        }

        try
        {
            return await _store.PatchMetadataAsync(plan.Bucket, plan.Name, new MetadataPatch { Metadata = patch }, finished.Metageneration, ct)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The bytes are in the object, durable and verified; only metadata changed during the write is missing.
            _logger.LogWarning(e, "{Uri} is uploaded, but the metadata changed while it was written could not be applied ({Keys})",
                plan.Uri, string.Join(", ", patch.Keys));
            return finished;
        }
    }

    /// <summary>The keys <paramref name="wanted"/> sets differently from <paramref name="sent"/> (null: removed), or null when none.</summary>
    private static Dictionary<string, string?>? MetadataChanges(IReadOnlyDictionary<string, string>? sent, IReadOnlyDictionary<string, string>? wanted)
    {
        Dictionary<string, string?>? patch = null;
        foreach (var (key, value) in wanted ?? ObjectInfo.EmptyMetadata)
        {
            if (sent is null || !sent.TryGetValue(key, out var old) || old != value)
            {
                (patch ??= new Dictionary<string, string?>(StringComparer.Ordinal))[key] = value;
            }
        }

        foreach (var key in (sent ?? ObjectInfo.EmptyMetadata).Keys)
        {
            if (wanted is null || !wanted.ContainsKey(key))
            {
                (patch ??= new Dictionary<string, string?>(StringComparer.Ordinal))[key] = null;
            }
        }

        return patch;
    }

    /// <summary>
    /// What an upload of <paramref name="staged"/> sends now: its metadata merged with changes made elsewhere since
    /// its base (the sidecar's base moves with the merge, so a recovery after a crash merges from the same point),
    /// the mtime stamped, and the preconditions. Throws <see cref="StagedCopyIncompleteException"/> for a copy whose
    /// bytes were never changed but do not have the size of the base object they must equal.
    /// </summary>
    public async Task<StagedUploadPlan> PrepareAsync(StagedFile staged, long? modifiedNs, CancellationToken ct)
    {
        var sidecar = staged.Sidecar;
        var current = await MergeRemoteMetadataChangesAsync(sidecar, ct).ConfigureAwait(false);
        if (!sidecar.BytesChanged && current is not null && current.Size != staged.Length)
        {
            throw new StagedCopyIncompleteException(
                $"the staged copy holds {staged.Length} bytes of generation {current.Generation}, which has {current.Size}, and its bytes were never changed");
        }
        if (modifiedNs is { } mtime)
        {
            PosixMetadata.SetModified(sidecar.Metadata, mtime);
        }

        return new StagedUploadPlan(sidecar.Bucket, sidecar.ObjectName, OptionsOf(sidecar, sidecar.Metadata), current);
    }

    /// <summary>What an upload of a copy described by <paramref name="sidecar"/> sends with <paramref name="metadata"/>: content type and preconditions on its base.</summary>
    internal static UploadOptions OptionsOf(StagingSidecar sidecar, IReadOnlyDictionary<string, string> metadata) => new()
    {
        ContentType = sidecar.ContentType,
        Metadata = metadata,
        IfGenerationMatch = sidecar.BaseGeneration,
        IfMetagenerationMatch = sidecar.BaseGeneration != 0 ? sidecar.BaseMetageneration : null,
    };

    /// <summary>
    /// Records a confirmed upload: the copy is now the object <paramref name="uploaded"/> (its sidecar clean, so a
    /// crash leaves nothing to upload), and its bytes serve later reads. Failing to record it locally does not undo
    /// it: the object is durable, and a stale sidecar is recognised at the next start.
    /// </summary>
    /// <param name="staged">The copy now uploaded.</param>
    /// <param name="uploaded">The object GCS confirmed.</param>
    /// <param name="alreadyThere">True when an earlier attempt had stored it (nothing was sent now).</param>
    /// <param name="ct">Cancels seeding the cache (the upload stays recorded).</param>
    /// <param name="adopt">
    /// False for a copy that streamed while it was written: copying it into the content cache would read it twice and
    /// write it again on the close path (a second or more a GiB), for a read that may never come. Its generation is
    /// marked verified, and a later read downloads it, verified as every download is. False too for a small file,
    /// which every open for reading downloads whole.
    /// </param>
    /// <param name="rememberVerified">When not adopted: whether the verified record is kept across mounts (it is written to the cache folder) or for this mount only.</param>
    public async Task<StagedUploadResult> CompleteAsync(StagedFile staged, ObjectInfo uploaded, bool alreadyThere, CancellationToken ct,
        bool adopt = true, bool rememberVerified = true)
    {
        if (!alreadyThere)
        {
            _metrics.Upload(uploaded.Size);
        }

        try
        {
            await staged.MarkUploadedAsync(uploaded, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(e, "gs://{Bucket}/{Name} is uploaded; recording that in {Sidecar} failed", uploaded.Bucket, uploaded.Name, staged.SidecarPath);
        }

        if (adopt)
        {
            await AdoptIntoCacheAsync(uploaded, staged.DataPath, ct).ConfigureAwait(false);
        }
        else
        {
            _reads.MarkVerified(uploaded.Bucket, uploaded.Name, uploaded.Generation, rememberVerified);
        }

        return new StagedUploadResult(StagedUploadOutcome.Uploaded, VfsError.None, uploaded, AlreadyThere: alreadyThere);
    }

    /// <summary>
    /// Three-way merge of the object's metadata when it changed since the copy's base without being rewritten:
    /// the object's keys are taken and only the keys this copy changed are applied over them. Returns the object
    /// when it still has the base generation (merged or unchanged), else null (absent or rewritten: the generation
    /// precondition decides).
    /// </summary>
    private async Task<ObjectInfo?> MergeRemoteMetadataChangesAsync(StagingSidecar sidecar, CancellationToken ct)
    {
        if (sidecar.BaseGeneration == 0 || sidecar.BaseMetageneration is not { } baseMetageneration || sidecar.BaseMetadata is not { } baseMetadata)
        {
            return null;
        }

        var current = await _stat(sidecar.Bucket, sidecar.ObjectName, ct).ConfigureAwait(false);
        if (current is null || current.Generation != sidecar.BaseGeneration)
        {
            return null;
        }

        if (current.Metageneration == baseMetageneration)
        {
            return current;
        }

        sidecar.Metadata = MetadataMerge.Merge(current.Metadata, baseMetadata, sidecar.Metadata);
        if (sidecar.BaseContentType is { } baseContentType && current.ContentType != baseContentType && sidecar.ContentType == baseContentType)
        {
            sidecar.ContentType = current.ContentType;
        }

        sidecar.BaseMetageneration = current.Metageneration;
        sidecar.BaseMetadata = new Dictionary<string, string>(current.Metadata, StringComparer.Ordinal);
        sidecar.BaseContentType = current.ContentType;
        return current;
    }

    /// <summary>A confirmed upload's bytes serve later reads (and mark the generation verified).</summary>
    private async Task AdoptIntoCacheAsync(ObjectInfo info, string path, CancellationToken ct)
    {
        try
        {
            var adopted = await _reads.AdoptUploadedAsync(info, path, ct).ConfigureAwait(false);
            if (!adopted)
            {
                _reads.MarkVerified(info.Bucket, info.Name, info.Generation);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            // The upload is confirmed; failing to seed the local cache only costs a download later.
            _logger.LogDebug(e, "Could not seed the content cache with {Path}", path);
            _reads.MarkVerified(info.Bucket, info.Name, info.Generation);
        }
    }
}
