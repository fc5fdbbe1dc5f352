using Microsoft.Extensions.Logging;
using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// The fetcher's side of a <see cref="ChunkStream"/>: claiming chunks for it (never waiting for memory unless its
/// reader needs the chunk next), completing each filled chunk (its CRC32C to the full-object check) and writing it to
/// the cache in the background unless earlier writes hold the memory the stream needs.
/// </summary>
internal sealed partial class ChunkFetcher
{
    private int _pendingStreamStores;
    private long _skippedFills;

    /// <summary>Streamed chunks not written to the cache because earlier writes held the memory the stream needed.</summary>
    internal long SkippedFills => Interlocked.Read(ref _skippedFills);

    /// <summary>
    /// Whether a streamed chunk's cache write would stand in front of a reader: it holds the chunk's memory until it
    /// is done, so it is skipped when two writes are already queued and the memory budget has no room for another chunk
    /// (or someone waits for it). A disk slower than the download then costs cached chunks, never the reader's time.
    /// </summary>
    private bool UnderMemoryPressure(int chunkLength) =>
        Volatile.Read(ref _pendingStreamStores) > 1 && (_budget.HasWaiters || _budget.InUse + chunkLength > _budget.Capacity);

    /// <summary>True when the chunk is neither cached nor being downloaded.</summary>
    public bool NeedsFetch(CacheEntry entry, int chunk) => _cache.NeedsFetch(entry, chunk);

    /// <summary>Starts a streaming download for a sequential reader at <paramref name="first"/> (null when it cannot start).</summary>
    public ChunkStream? TryStartStream(CacheEntry entry, int first, int epoch, int maxWindow) =>
        ChunkStream.TryStart(this, entry, epoch, first, maxWindow, _shutdown);

    /// <summary>
    /// Claims a chunk for a stream when it needs a download and the budget has room now (chunks kept in memory only
    /// for speed are given back first); publishes it, empty, so readers wait for its bytes rather than download it.
    /// </summary>
    internal ClaimedChunk? TryClaimStreamChunk(CacheEntry entry, int chunk, int epoch)
    {
        if (!_cache.NeedsFetch(entry, chunk))
        {
            return null;
        }
        if (!TryAcquireSpare(entry, entry.Layout.ChunkLength(chunk), out MemoryBudget.Lease? lease))
        {
            return null;
        }
        if (!TryPinAndClaim(entry, chunk, out ChunkSlot? slot, out TaskCompletionSource? claim))
        {
            lease.Dispose();
            return null;
        }
        return Publish(entry, slot, claim, epoch, lease);
    }

    /// <summary>
    /// Like <see cref="TryClaimStreamChunk"/>, waiting for budget (the stream's reader needs this chunk next). The
    /// chunk is claimed before the wait, so a reader reaching it meanwhile waits for this stream instead of
    /// downloading it a second time.
    /// </summary>
    internal async Task<ClaimedChunk?> ClaimStreamChunkAsync(CacheEntry entry, int chunk, int epoch, CancellationToken ct)
    {
        if (!_cache.NeedsFetch(entry, chunk))
        {
            return null;
        }
        if (!TryPinAndClaim(entry, chunk, out ChunkSlot? slot, out TaskCompletionSource? claim))
        {
            return null;
        }
        int length = entry.Layout.ChunkLength(chunk);
        MemoryBudget.Lease lease;
        try
        {
            lease = _budget.TryAcquire(length, out MemoryBudget.Lease? now)
                ? now
                : await _budget.AcquireAsync(length, ct, () => _cache.ReclaimHot(sparing: entry), waiterTag: entry).ConfigureAwait(false);
        }
        catch
        {
            _cache.EndFetch(slot, claim, error: null);
            _cache.Unpin(slot);
            throw;
        }
        return Publish(entry, slot, claim, epoch, lease);
    }

    /// <summary>Publishes a claimed chunk's (empty) buffer, so readers copy its bytes as they arrive.</summary>
    private ClaimedChunk? Publish(CacheEntry entry, ChunkSlot slot, TaskCompletionSource claim, int epoch, MemoryBudget.Lease lease)
    {
        int length = entry.Layout.ChunkLength(slot.Index);
        HotChunk hot = HotChunk.ForStreaming(slot, _chunkBuffers.Rent(length), length, lease, _chunkBuffers);
        if (!_cache.PublishHot(hot, epoch))
        {
            // The entry was dropped meanwhile: nothing to stream into.
            _cache.EndFetch(slot, claim, error: null);
            _cache.Unpin(slot);
            hot.Detached = true;
            hot.Users = 0;
            hot.FreeIfUnused();
            return null;
        }
        return new ClaimedChunk(slot, hot, claim);
    }

    /// <summary>Opens the stream's GET, from <paramref name="start"/> to the object's end (a plain GET from 0, which the store verifies too).</summary>
    internal async Task<Stream> OpenStreamAsync(CacheEntry entry, int epoch, long start, CancellationToken ct)
    {
        try
        {
            return await _store.OpenReadAsync(entry.Key.Bucket, entry.Key.Name, start, start == 0 ? null : entry.Layout.ObjectSize - start,
                entry.Key.Generation, ct).ConfigureAwait(false);
        }
        catch (CorruptionException ex)
        {
            throw Fail(entry, epoch, ex.Message, ex);
        }
    }

    /// <summary>
    /// A streamed chunk is all there: its CRC32C goes to the full-object check (run here when it completes the
    /// object, before the chunk counts as complete), readers waiting for it are released, and it is written to the
    /// cache in the background unless too many writes are queued already. <paramref name="blockCrcs"/> are the
    /// chunk's block CRCs, computed by the stream as the bytes arrived.
    /// </summary>
    internal async Task CompleteStreamChunkAsync(CacheEntry entry, int epoch, ClaimedChunk claimed, uint[] blockCrcs)
    {
        HotChunk hot = claimed.Hot;
        int chunk = claimed.Slot.Index;
        ReadOnlyMemory<byte> data = hot.Buffer.Memory[..hot.Length];
        try
        {
            CheckServedFragments(entry, epoch, chunk, blockCrcs);
            uint chunkCrc = ChunkFile.CombineBlocks(blockCrcs, hot.Length);
            KnowledgeOutcome outcome = _cache.RecordChunkCrc(entry, chunk, chunkCrc, epoch);
            if (outcome == KnowledgeOutcome.Stale)
            {
                throw new OperationCanceledException($"{entry.Key} was dropped while chunk {chunk} was streamed.");
            }
            if (outcome == KnowledgeOutcome.Mismatch)
            {
                // Its bytes were served while they arrived: the copy checked earlier and this one differ, so the whole
                // entry is condemned and the reads that took them fail.
                throw Fail(entry, epoch, $"chunk {chunk} downloaded with bytes that differ from the copy checked earlier");
            }
            if (outcome == KnowledgeOutcome.Complete)
            {
                await VerifyAsync(entry, epoch, chunk, data).ConfigureAwait(false);
            }
        }
        catch
        {
            AbandonStreamChunk(claimed);
            throw;
        }
        hot.Finish();
        _cache.EndFetch(claimed.Slot, claimed.Claim, error: null);
        if (UnderMemoryPressure(hot.Length))
        {
            Interlocked.Increment(ref _skippedFills);
            CachingMetrics.CacheFillsSkipped.Add(1);
            _logger.LogDebug("Chunk {Chunk} of {Object} not cached: earlier cache writes still hold the memory the stream needs", chunk, entry.Key);
            _cache.HotStored(hot, onDisk: false);
            _cache.Unpin(claimed.Slot);
            return;
        }
        Interlocked.Increment(ref _pendingStreamStores);
        Interlocked.Increment(ref _running);
        _ = StoreStreamedAsync(entry, epoch, claimed, data, blockCrcs);
    }

    private async Task StoreStreamedAsync(CacheEntry entry, int epoch, ClaimedChunk claimed, ReadOnlyMemory<byte> data, uint[] blockCrcs)
    {
        bool onDisk = false;
        try
        {
            await Task.Yield();
            onDisk = await _cache.StoreChunkAsync(claimed.Slot, data, blockCrcs, epoch, CancellationToken.None).ConfigureAwait(false);
            if (onDisk)
            {
                MaybeAssembleWholeFile(entry);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(ex, "Could not write chunk {Chunk} of {Object} to the content cache", claimed.Slot.Index, entry.Key);
        }
        finally
        {
            _cache.HotStored(claimed.Hot, onDisk);
            _cache.Unpin(claimed.Slot);
            Interlocked.Decrement(ref _pendingStreamStores);
            StreamEnded();
        }
    }

    /// <summary>A claimed chunk the stream will not fill: it leaves its slot, and its waiters look again.</summary>
    internal void AbandonStreamChunk(ClaimedChunk claimed)
    {
        _cache.AbandonHot(claimed.Hot);
        _cache.EndFetch(claimed.Slot, claimed.Claim, error: null);
        _cache.Unpin(claimed.Slot);
    }

    internal void StreamFailed(CacheEntry entry, int epoch, Exception error, bool cancelled)
    {
        if (error is CorruptionException corruption)
        {
            // The store's own check of a whole-object GET; the entry may already be condemned (then this is a no-op).
            _ = Fail(entry, epoch, corruption.Message, corruption);
        }
        else if (!cancelled && error is not OperationCanceledException)
        {
            _logger.LogDebug(error, "Streaming download of {Object} stopped; readers fall back to chunk downloads", entry.Key);
        }
    }

    internal void StreamStarted() => Interlocked.Increment(ref _running);

    internal void StreamEnded()
    {
        if (Interlocked.Decrement(ref _running) == 0)
        {
            Volatile.Read(ref _drained)?.TrySetResult();
        }
    }
}
