using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// Downloads chunks (one ranged GET each, or many from one streaming GET for a sequential reader:
/// <see cref="ChunkStream"/>), pinned to the generation, into pooled buffers bounded by the shared
/// <see cref="MemoryBudget"/>, stores them in the <see cref="ContentCache"/>, and runs the full-object check when the
/// last unknown chunk arrives. Concurrent requests for one chunk share one download. This file holds the claims, the
/// budget and the whole-chunk download; the stream's side, partial reads, the full-object check, adoption of uploaded
/// bytes and whole-object files are in the other <c>ChunkFetcher.*.cs</c> files.
/// </summary>
internal sealed partial class ChunkFetcher
{
    private readonly IObjectStore _store;
    private readonly ContentCache _cache;
    private readonly MemoryBudget _budget;
    private readonly ChunkBufferPool _chunkBuffers;
    /// <summary>Buffers of partial downloads (a few blocks), far smaller than a chunk.</summary>
    private readonly ArrayPool<byte> _pool = ArrayPool<byte>.Shared;
    private readonly ILogger _logger;
    private readonly CancellationToken _shutdown;
    private int _running;
    private TaskCompletionSource? _drained;

    private readonly bool _wholeObjectFiles;

    public ChunkFetcher(IObjectStore store, ContentCache cache, MemoryBudget budget, ChunkBufferPool chunkBuffers, ILogger logger, CancellationToken shutdown,
        bool wholeObjectFiles)
    {
        _wholeObjectFiles = wholeObjectFiles;
        _store = store;
        _cache = cache;
        _budget = budget;
        _chunkBuffers = chunkBuffers;
        _logger = logger;
        _shutdown = shutdown;
    }

    /// <summary>Returns once the chunk is cached (or the download failed), starting the download if nobody has.</summary>
    public Task EnsureFetchedAsync(CacheEntry entry, ChunkSlot slot, int epoch, CancellationToken ct)
    {
        Task? pending;
        if (_cache.TryClaimFetch(slot, out Task? existing, out TaskCompletionSource? claim))
        {
            _ = RunFetchAsync(entry, slot, epoch, claim, lease: null);
            pending = claim.Task;
        }
        else
        {
            pending = existing;
        }
        return pending is null ? Task.CompletedTask : pending.WaitAsync(ct);
    }

    /// <summary>
    /// Starts a read-ahead download of a chunk when it is neither cached nor on its way. False when the memory budget
    /// has no room: read-ahead never waits for memory, it is skipped.
    /// </summary>
    public bool TryStartPrefetch(CacheEntry entry, int chunk, int epoch)
    {
        if (!_cache.NeedsFetch(entry, chunk))
        {
            return true;
        }
        if (!TryAcquireSpare(entry, entry.Layout.ChunkLength(chunk), out MemoryBudget.Lease? lease))
        {
            return false;
        }
        if (TryPinAndClaim(entry, chunk, out ChunkSlot? slot, out TaskCompletionSource? claim))
        {
            // The download pins the slot itself before this unpins it.
            _ = RunFetchAsync(entry, slot, epoch, claim, lease);
            _cache.Unpin(slot);
        }
        else
        {
            lease.Dispose();
        }
        return true;
    }

    /// <summary>
    /// Budget that is free now, for work that never waits for memory (read-ahead, a stream running ahead) for
    /// <paramref name="entry"/>. Chunks kept in memory after their disk write are only a convenience and are given
    /// back first when there is none (not the entry's own chunks that are only in memory: its reader needs them).
    /// </summary>
    private bool TryAcquireSpare(CacheEntry entry, int length, [NotNullWhen(true)] out MemoryBudget.Lease? lease)
    {
        if (_budget.TryAcquire(length, out lease))
        {
            return true;
        }
        _cache.ReclaimHot(sparing: entry);
        return _budget.TryAcquire(length, out lease);
    }

    /// <summary>
    /// Claims the download of a chunk: true, with its slot pinned, when nobody holds or downloads it; false, with
    /// nothing pinned, otherwise.
    /// </summary>
    private bool TryPinAndClaim(CacheEntry entry, int chunk, [NotNullWhen(true)] out ChunkSlot? slot,
        [NotNullWhen(true)] out TaskCompletionSource? claim)
    {
        slot = _cache.Pin(entry, chunk);
        if (_cache.TryClaimFetch(slot, out _, out claim))
        {
            return true;
        }
        _cache.Unpin(slot);
        slot = null;
        return false;
    }

    private async Task RunFetchAsync(CacheEntry entry, ChunkSlot slot, int epoch, TaskCompletionSource claim, MemoryBudget.Lease? lease)
    {
        Exception? error = null;
        Interlocked.Increment(ref _running);
        _cache.Pin(entry, slot.Index);
        try
        {
            await FetchAsync(entry, slot, epoch, lease, claim).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex;
            if (ex is not CorruptionException and not OperationCanceledException)
            {
                _logger.LogDebug(ex, "Download of chunk {Chunk} of {Object} failed", slot.Index, entry.Key);
            }
        }
        finally
        {
            _cache.Unpin(slot);
            _cache.EndFetch(slot, claim, error);
            if (Interlocked.Decrement(ref _running) == 0)
            {
                Volatile.Read(ref _drained)?.TrySetResult();
            }
        }
    }

    /// <summary>Completes when no download or cache write is running (after shutdown, so that none starts again).</summary>
    public Task DrainAsync()
    {
        TaskCompletionSource drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _drained, drained);
        if (Volatile.Read(ref _running) == 0)
        {
            drained.TrySetResult();
        }
        return drained.Task;
    }

    private async Task FetchAsync(CacheEntry entry, ChunkSlot slot, int epoch, MemoryBudget.Lease? lease, TaskCompletionSource claim)
    {
        int chunk = slot.Index;
        int length = entry.Layout.ChunkLength(chunk);
        long start = entry.Layout.ChunkStart(chunk);
        lease ??= await AcquireForReadAsync(length).ConfigureAwait(false);
        ChunkBuffer buffer = _chunkBuffers.Rent(length);
        HotChunk? hot = null; // once published, the hot chunk owns the buffer and the lease
        bool onDisk = false;
        try
        {
            Memory<byte> data = buffer.Memory[..length];
            uint[] blockCrcs = new uint[ChunkLayout.BlockCount(length)];
            uint chunkCrc = 0;
            for (int attempt = 1; ; attempt++)
            {
                await DownloadExactAsync(entry, epoch, start, data).ConfigureAwait(false);
                ChunkFile.ComputeBlockCrcs(data.Span, blockCrcs);
                chunkCrc = ChunkFile.CombineBlocks(blockCrcs, length);
                if (_cache.CheckKnown(entry, chunk, chunkCrc) != KnowledgeOutcome.Mismatch)
                {
                    break;
                }
                // This generation was seen before with other bytes in this chunk: one copy is wrong. A second
                // download settles whether the difference was in transit.
                _logger.LogWarning("Chunk {Chunk} of {Object} downloaded with bytes that differ from an earlier download (attempt {Attempt})",
                    chunk, entry.Key, attempt);
                if (attempt >= 2)
                {
                    throw Fail(entry, epoch, $"chunk {chunk} downloaded twice with bytes that differ from the copy checked earlier");
                }
            }

            CheckServedFragments(entry, epoch, chunk, blockCrcs);
            KnowledgeOutcome outcome = _cache.RecordChunkCrc(entry, chunk, chunkCrc, epoch);
            if (outcome == KnowledgeOutcome.Stale)
            {
                return;
            }
            if (outcome == KnowledgeOutcome.Mismatch)
            {
                throw Fail(entry, epoch, $"chunk {chunk} downloaded with bytes that differ from the copy checked earlier");
            }
            // The chunk that completes the object is checked before anyone can read it: it is neither in memory
            // for others nor on disk until the check passed.
            if (outcome == KnowledgeOutcome.Complete)
            {
                await VerifyAsync(entry, epoch, chunk, data).ConfigureAwait(false);
            }
            HotChunk candidate = new(slot, buffer, length, lease, _chunkBuffers);
            if (_cache.PublishHot(candidate, epoch))
            {
                hot = candidate;
                // Waiters read from memory from now on; the disk write below does not delay them.
                _cache.EndFetch(slot, claim, error: null);
            }

            try
            {
                // Not cancelled by shutdown: a chunk already downloaded is worth its short write, and the next
                // mount finds it.
                onDisk = await _cache.StoreChunkAsync(slot, data, blockCrcs, epoch, CancellationToken.None).ConfigureAwait(false);
                if (onDisk)
                {
                    MaybeAssembleWholeFile(entry);
                }
            }
            catch (Exception ex) when (hot is not null && ex is IOException or UnauthorizedAccessException)
            {
                // The readers have the bytes in memory; without a disk copy the chunk is downloaded again later.
                _logger.LogWarning(ex, "Could not write chunk {Chunk} of {Object} to the content cache", chunk, entry.Key);
            }
        }
        finally
        {
            if (hot is not null)
            {
                _cache.HotStored(hot, onDisk);
            }
            else
            {
                _chunkBuffers.Return(buffer);
                lease.Dispose();
            }
        }

    }

    /// <summary>
    /// Takes budget for a read that cannot do without it. When none is free, chunks kept in memory only for speed
    /// are given back first (after queueing, so none is kept back by a race).
    /// </summary>
    private ValueTask<MemoryBudget.Lease> AcquireForReadAsync(long bytes)
    {
        if (_budget.TryAcquire(bytes, out MemoryBudget.Lease? lease))
        {
            return ValueTask.FromResult(lease);
        }
        return _budget.AcquireAsync(bytes, _shutdown, () => _cache.ReclaimHot(sparing: null));
    }

    /// <summary>
    /// The length to ask for, or null for the whole object: a plain GET is answered 200 with the object's hashes,
    /// while a range that happens to cover the whole object is a 206 without them, and the store would spend a
    /// second request (a stat) fetching hashes this entry already holds.
    /// </summary>
    private static long? RangeLength(CacheEntry entry, long start, long length) =>
        start == 0 && length >= entry.Layout.ObjectSize ? null : length;

    /// <summary>
    /// Fills <paramref name="destination"/> from the object at <paramref name="start"/>; a body that ends early is
    /// downloaded once more before the read fails (<see cref="TransientStoreException"/>).
    /// </summary>
    private async Task DownloadExactAsync(CacheEntry entry, int epoch, long start, Memory<byte> destination)
    {
        int received = await DownloadAsync(entry, epoch, start, destination).ConfigureAwait(false);
        if (received != destination.Length)
        {
            received = await DownloadAsync(entry, epoch, start, destination).ConfigureAwait(false);
            if (received != destination.Length)
            {
                throw new TransientStoreException(
                    $"{entry.Key}: the download of bytes {start}-{start + destination.Length - 1} ended after {received} bytes.");
            }
        }
    }

    /// <summary>Downloads into <paramref name="destination"/>; returns the bytes received (fewer only if the body ended early).</summary>
    private async Task<int> DownloadAsync(CacheEntry entry, int epoch, long start, Memory<byte> destination)
    {
        Stream stream;
        try
        {
            stream = await _store.OpenReadAsync(entry.Key.Bucket, entry.Key.Name, start, RangeLength(entry, start, destination.Length),
                    entry.Key.Generation, _shutdown)
                .ConfigureAwait(false);
        }
        catch (CorruptionException ex)
        {
            throw Fail(entry, epoch, ex.Message, ex);
        }
        int total = 0;
        await using (stream.ConfigureAwait(false))
        {
            try
            {
                while (total < destination.Length)
                {
                    int n = await stream.ReadAsync(destination[total..], _shutdown).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }
                    total += n;
                }
            }
            catch (CorruptionException ex)
            {
                // The store checks a read that spans the whole object itself.
                throw Fail(entry, epoch, ex.Message, ex);
            }
            finally
            {
                CachingMetrics.BytesReadFromStore.Add(total);
            }
        }
        return total;
    }
}
