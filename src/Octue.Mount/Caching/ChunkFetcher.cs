// Over 400 lines: a chunk's claim, download, storage and the whole-object check that may follow it share one set of
// claim, budget and epoch rules, kept together here.
using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Octue.Mount.Integrity;
using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// Downloads chunks (one ranged GET each, or many from one streaming GET for a sequential reader:
/// <see cref="ChunkStream"/>), pinned to the generation, into pooled buffers bounded by the shared
/// <see cref="MemoryBudget"/>, stores them in the <see cref="ContentCache"/>, and runs the full-object check when the
/// last unknown chunk arrives. Concurrent requests for one chunk share one download.
/// </summary>
internal sealed class ChunkFetcher
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
        if (!TryAcquireSpare(entry.Layout.ChunkLength(chunk), out MemoryBudget.Lease? lease))
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
    /// Budget that is free now, for work that never waits for memory (read-ahead, a stream running ahead). Chunks
    /// kept in memory after their disk write are only a convenience and are given back first when there is none.
    /// </summary>
    private bool TryAcquireSpare(int length, [NotNullWhen(true)] out MemoryBudget.Lease? lease)
    {
        if (_budget.TryAcquire(length, out lease))
        {
            return true;
        }
        _cache.ReclaimHot();
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
        if (!TryAcquireSpare(entry.Layout.ChunkLength(chunk), out MemoryBudget.Lease? lease))
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
                : await _budget.AcquireAsync(length, ct, _cache.ReclaimHot).ConfigureAwait(false);
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
            _cache.HotStored(hot);
            _cache.Unpin(claimed.Slot);
            return;
        }
        Interlocked.Increment(ref _pendingStreamStores);
        Interlocked.Increment(ref _running);
        _ = StoreStreamedAsync(entry, epoch, claimed, data, blockCrcs);
    }

    private async Task StoreStreamedAsync(CacheEntry entry, int epoch, ClaimedChunk claimed, ReadOnlyMemory<byte> data, uint[] blockCrcs)
    {
        try
        {
            await Task.Yield();
            if (await _cache.StoreChunkAsync(claimed.Slot, data, blockCrcs, epoch, CancellationToken.None).ConfigureAwait(false))
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
            _cache.HotStored(claimed.Hot);
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

    private readonly SemaphoreSlim _assembly = new(1, 1);

    /// <summary>
    /// Starts assembling the entry's whole-object file in the background (one at a time) when it can be made: the
    /// generation is verified and every chunk is cached. Called when a chunk reaches the cache and when a whole file
    /// is asked for. Only when whole-object files are on (<see cref="ReadOptions.WholeObjectFiles"/>).
    /// </summary>
    public void MaybeAssembleWholeFile(CacheEntry entry)
    {
        if (!_wholeObjectFiles || _shutdown.IsCancellationRequested || !_cache.TryClaimWholeFile(entry))
        {
            return;
        }
        Interlocked.Increment(ref _running);
        _ = AssembleWholeFileAsync(entry);
    }

    /// <summary>
    /// Writes the object's bytes, read from its chunk files (every block checked against its CRC32C, every chunk
    /// against the CRC recorded when the generation was verified), into one file at their offsets; then reads that
    /// file back whole and compares its CRC32C with the object's before adopting it. Readers of the object are
    /// served from the chunks meanwhile; nothing waits for this.
    /// </summary>
    private async Task AssembleWholeFileAsync(CacheEntry entry)
    {
        WholeFileInfo? result = null;
        int epoch = entry.Epoch;
        string temporary = entry.WholeFilePath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            await _assembly.WaitAsync(_shutdown).ConfigureAwait(false);
            try
            {
                result = await WriteWholeFileAsync(entry, epoch, temporary).ConfigureAwait(false);
                if (result is not null)
                {
                    File.Move(temporary, entry.WholeFilePath, overwrite: true);
                    // Recorded after the rename, which keeps the last-write time.
                    result = new WholeFileInfo(result.Value.Length, File.GetLastWriteTimeUtc(entry.WholeFilePath).Ticks);
                    _logger.LogDebug("{Object}: whole-object file ready for passthrough reads", entry.Key);
                }
            }
            finally
            {
                _assembly.Release();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            _logger.LogDebug(ex, "{Object}: the whole-object file was not made", entry.Key);
            result = null;
        }
        finally
        {
            if (result is null && File.Exists(temporary))
            {
                File.Delete(temporary);
            }
            await _cache.EndWholeFileAsync(entry, epoch, result).ConfigureAwait(false);
            StreamEnded();
        }
    }

    private async Task<WholeFileInfo?> WriteWholeFileAsync(CacheEntry entry, int epoch, string path)
    {
        ChunkLayout layout = entry.Layout;
        using MemoryBudget.Lease lease = await AcquireForReadAsync(layout.ChunkLength(0)).ConfigureAwait(false);
        ChunkBuffer buffer = _chunkBuffers.Rent(layout.ChunkLength(0));
        try
        {
            using (SafeFileHandle output = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.Asynchronous))
            {
                for (int chunk = 0; chunk < layout.ChunkCount; chunk++)
                {
                    int length = layout.ChunkLength(chunk);
                    Memory<byte> data = buffer.Memory[..length];
                    ChunkSlot slot = _cache.Pin(entry, chunk);
                    try
                    {
                        ChunkRead read = await _cache.TryReadAsync(slot, 0, data, _shutdown).ConfigureAwait(false);
                        if (read.Outcome == ChunkReadOutcome.Miss || entry.Epoch != epoch
                            || _cache.CheckKnown(entry, chunk, Crc32C.Compute(data.Span)) != KnowledgeOutcome.Same)
                        {
                            return null;
                        }
                    }
                    finally
                    {
                        _cache.Unpin(slot);
                    }
                    await RandomAccess.WriteAsync(output, data, layout.ChunkStart(chunk), _shutdown).ConfigureAwait(false);
                }
            }

            // Read back what reached the file: the bytes passthrough will serve are the bytes that were checked.
            uint whole = 0;
            using (SafeFileHandle input = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous))
            {
                if (RandomAccess.GetLength(input) != layout.ObjectSize)
                {
                    return null;
                }
                for (int chunk = 0; chunk < layout.ChunkCount; chunk++)
                {
                    int length = layout.ChunkLength(chunk);
                    Memory<byte> data = buffer.Memory[..length];
                    if (await ChunkFile.ReadFullyAsync(input, data, layout.ChunkStart(chunk), _shutdown).ConfigureAwait(false) != length)
                    {
                        return null;
                    }
                    uint crc = Crc32C.Compute(data.Span);
                    whole = chunk == 0 ? crc : Crc32C.Combine(whole, crc, length);
                }
            }
            bool matches = entry.Crc32c is uint expected ? whole == expected : whole == _cache.CombineChunkCrcs(entry);
            if (!matches)
            {
                _logger.LogWarning("{Object}: the whole-object file did not read back as written; it is not used", entry.Key);
                return null;
            }
            return new WholeFileInfo(layout.ObjectSize, 0);
        }
        finally
        {
            _chunkBuffers.Return(buffer);
        }
    }

    /// <summary>Records a chunk CRC read from the cache; runs the full-object check when it was the last unknown one.</summary>
    public async ValueTask RecordAsync(CacheEntry entry, int chunk, uint chunkCrc, int epoch)
    {
        KnowledgeOutcome outcome = _cache.RecordChunkCrc(entry, chunk, chunkCrc, epoch);
        if (outcome == KnowledgeOutcome.Mismatch)
        {
            throw Fail(entry, epoch, $"chunk {chunk} read from the cache differs from the copy downloaded earlier");
        }
        if (outcome == KnowledgeOutcome.Complete)
        {
            await VerifyAsync(entry, epoch).ConfigureAwait(false);
        }
    }

    /// <summary>An empty object is complete before any read: check its hash once.</summary>
    public async ValueTask VerifyEmptyAsync(CacheEntry entry, int epoch)
    {
        if (_cache.TryClaimVerification(entry, epoch))
        {
            await VerifyAsync(entry, epoch).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Copies a local file whose bytes GCS confirmed (a finished upload) into the cache, so reading it back costs no
    /// download, and marks the generation verified. The file is hashed first and adopted only when it matches the
    /// object; it is checked again block by block while it is copied, in case it changed in between.
    /// </summary>
    public async Task<bool> AdoptAsync(CacheEntry entry, string path, CancellationToken ct)
    {
        int epoch = entry.Epoch;
        ChunkLayout layout = entry.Layout;
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        if (RandomAccess.GetLength(file) != layout.ObjectSize)
        {
            _logger.LogDebug("Not adopting {Path} for {Object}: its size differs from the object's", path, entry.Key);
            return false;
        }

        int bufferLength = (int)Math.Min(layout.ChunkSize, Math.Max(1, layout.ObjectSize));
        using MemoryBudget.Lease lease = await AcquireForReadAsync(bufferLength).ConfigureAwait(false);
        ChunkBuffer buffer = _chunkBuffers.Rent(layout.ChunkSize);
        try
        {
            uint[][] blockCrcs = new uint[layout.ChunkCount][];
            uint[] chunkCrcs = new uint[layout.ChunkCount];
            using IncrementalHash? md5 = entry.Crc32c is null && entry.Md5 is not null ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
            uint whole = 0;
            for (int chunk = 0; chunk < layout.ChunkCount; chunk++)
            {
                int length = layout.ChunkLength(chunk);
                Memory<byte> data = buffer.Memory[..length];
                if (await ChunkFile.ReadFullyAsync(file, data, layout.ChunkStart(chunk), ct).ConfigureAwait(false) != length)
                {
                    return false;
                }
                blockCrcs[chunk] = new uint[ChunkLayout.BlockCount(length)];
                ChunkFile.ComputeBlockCrcs(data.Span, blockCrcs[chunk]);
                chunkCrcs[chunk] = ChunkFile.CombineBlocks(blockCrcs[chunk], length);
                whole = chunk == 0 ? chunkCrcs[0] : Crc32C.Combine(whole, chunkCrcs[chunk], length);
                md5?.AppendData(data.Span);
            }
            bool matches = entry.Crc32c is uint expected ? whole == expected
                : md5 is not null && md5.GetHashAndReset().AsSpan().SequenceEqual(entry.Md5);
            if (!matches)
            {
                _logger.LogWarning("Not adopting {Path} for {Object}: its bytes do not match the object's hash", path, entry.Key);
                return false;
            }

            uint[] check = new uint[ChunkLayout.BlockCount(layout.ChunkSize)];
            for (int chunk = 0; chunk < layout.ChunkCount; chunk++)
            {
                int length = layout.ChunkLength(chunk);
                Memory<byte> data = buffer.Memory[..length];
                if (await ChunkFile.ReadFullyAsync(file, data, layout.ChunkStart(chunk), ct).ConfigureAwait(false) != length)
                {
                    return false;
                }
                Span<uint> crcs = check.AsSpan(0, blockCrcs[chunk].Length);
                ChunkFile.ComputeBlockCrcs(data.Span, crcs);
                if (!crcs.SequenceEqual(blockCrcs[chunk]))
                {
                    _logger.LogWarning("Not adopting {Path} for {Object}: it changed while it was copied", path, entry.Key);
                    return false;
                }
                ChunkSlot slot = _cache.Pin(entry, chunk);
                try
                {
                    if (!await _cache.StoreChunkAsync(slot, data, blockCrcs[chunk], epoch, ct).ConfigureAwait(false))
                    {
                        return false;
                    }
                }
                finally
                {
                    _cache.Unpin(slot);
                }
            }
            return await _cache.AdoptVerifiedAsync(entry, chunkCrcs, epoch, ct).ConfigureAwait(false);
        }
        finally
        {
            _chunkBuffers.Return(buffer);
        }
    }

    /// <summary>
    /// As <see cref="AdoptAsync"/>, from bytes in memory (an upload's, read once from the staged file): hashed against
    /// the object, then stored chunk by chunk. Memory cannot change while it is copied, so there is no second pass.
    /// </summary>
    public async Task<bool> AdoptBytesAsync(CacheEntry entry, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        int epoch = entry.Epoch;
        ChunkLayout layout = entry.Layout;
        if (content.Length != layout.ObjectSize)
        {
            _logger.LogDebug("Not adopting {Length} bytes for {Object}: their size differs from the object's", content.Length, entry.Key);
            return false;
        }

        uint[][] blockCrcs = new uint[layout.ChunkCount][];
        uint[] chunkCrcs = new uint[layout.ChunkCount];
        uint whole = 0;
        for (int chunk = 0; chunk < layout.ChunkCount; chunk++)
        {
            ReadOnlySpan<byte> data = content.Span.Slice((int)layout.ChunkStart(chunk), layout.ChunkLength(chunk));
            blockCrcs[chunk] = new uint[ChunkLayout.BlockCount(data.Length)];
            ChunkFile.ComputeBlockCrcs(data, blockCrcs[chunk]);
            chunkCrcs[chunk] = ChunkFile.CombineBlocks(blockCrcs[chunk], data.Length);
            whole = chunk == 0 ? chunkCrcs[0] : Crc32C.Combine(whole, chunkCrcs[chunk], data.Length);
        }
        bool matches = entry.Crc32c is uint expected ? whole == expected
            : entry.Md5 is { } md5 && MD5.HashData(content.Span).AsSpan().SequenceEqual(md5);
        if (!matches)
        {
            _logger.LogWarning("Not adopting the uploaded bytes of {Object}: they do not match the object's hash", entry.Key);
            return false;
        }

        for (int chunk = 0; chunk < layout.ChunkCount; chunk++)
        {
            ChunkSlot slot = _cache.Pin(entry, chunk);
            try
            {
                ReadOnlyMemory<byte> data = content.Slice((int)layout.ChunkStart(chunk), layout.ChunkLength(chunk));
                if (!await _cache.StoreChunkAsync(slot, data, blockCrcs[chunk], epoch, ct).ConfigureAwait(false))
                {
                    return false;
                }
            }
            finally
            {
                _cache.Unpin(slot);
            }
        }
        return await _cache.AdoptVerifiedAsync(entry, chunkCrcs, epoch, ct).ConfigureAwait(false);
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
                if (await _cache.StoreChunkAsync(slot, data, blockCrcs, epoch, CancellationToken.None).ConfigureAwait(false))
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
                _cache.HotStored(hot);
            }
            else
            {
                _chunkBuffers.Return(buffer);
                lease.Dispose();
            }
        }

    }

    /// <summary>
    /// Blocks of this chunk served earlier from partial downloads must be the chunk's: otherwise a reader was given
    /// bytes that are not the object's (or this download is wrong), and the generation fails its check.
    /// </summary>
    private void CheckServedFragments(CacheEntry entry, int epoch, int chunk, uint[] blockCrcs)
    {
        int block = _cache.CheckFragments(entry, chunk, blockCrcs);
        if (block >= 0)
        {
            throw Fail(entry, epoch, $"block {block} of chunk {chunk}, served earlier from a partial download, differs from the whole chunk downloaded since");
        }
    }

    /// <summary>
    /// Serves a partial read of a chunk nobody holds with a download of just the 64 KiB blocks it touches (a random
    /// reader would otherwise wait for, and pay for, a whole chunk per read). False when the chunk should be read or
    /// downloaded whole instead (someone holds it, partial downloads of it reached a quarter of its blocks, or it
    /// arrived whole while this download ran). The
    /// blocks' CRC32Cs are recorded and compared with the whole chunk if it is downloaded later; the bytes are not
    /// cached. See docs/read-path.md for what a partial read checks.
    /// </summary>
    public async ValueTask<bool> TryReadFragmentAsync(CacheEntry entry, int epoch, int chunk, int offsetInChunk, Memory<byte> destination,
        CancellationToken ct)
    {
        int firstBlock = offsetInChunk / ChunkLayout.BlockSize;
        int lastBlock = (offsetInChunk + destination.Length - 1) / ChunkLayout.BlockSize;
        if (!_cache.TryReserveFragment(entry, chunk, firstBlock, lastBlock - firstBlock + 1, epoch))
        {
            return false;
        }
        int regionStart = firstBlock * ChunkLayout.BlockSize;
        int regionLength = Math.Min((lastBlock + 1) * ChunkLayout.BlockSize, entry.Layout.ChunkLength(chunk)) - regionStart;
        long start = entry.Layout.ChunkStart(chunk) + regionStart;
        using MemoryBudget.Lease lease = await AcquireForReadAsync(regionLength).ConfigureAwait(false);
        byte[] buffer = _pool.Rent(regionLength);
        try
        {
            Memory<byte> region = buffer.AsMemory(0, regionLength);
            await DownloadExactAsync(entry, epoch, start, region).ConfigureAwait(false);
            Span<uint> blockCrcs = stackalloc uint[lastBlock - firstBlock + 1];
            ChunkFile.ComputeBlockCrcs(region.Span, blockCrcs);
            KnowledgeOutcome outcome = _cache.RecordFragment(entry, chunk, firstBlock, blockCrcs, epoch);
            if (outcome == KnowledgeOutcome.Stale)
            {
                throw new CorruptionException($"{entry.Key} failed its integrity check; this handle returns no more bytes (open the file again to retry).");
            }
            if (outcome == KnowledgeOutcome.Mismatch)
            {
                throw Fail(entry, epoch, $"bytes {start}-{start + regionLength - 1} downloaded with bytes that differ from an earlier download of them");
            }
            if (outcome == KnowledgeOutcome.Superseded)
            {
                return false;
            }
            region.Span.Slice(offsetInChunk - regionStart, destination.Length).CopyTo(destination.Span);
            CachingMetrics.PartialDownloads.Add(1);
            return true;
        }
        finally
        {
            _pool.Return(buffer);
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
        return _budget.AcquireAsync(bytes, _shutdown, _cache.ReclaimHot);
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

    /// <summary>
    /// The full-object check, once every chunk CRC is known. <paramref name="currentChunk"/> is the chunk whose
    /// download completed the object, still only in <paramref name="currentData"/> (-1 when none).
    /// </summary>
    private async Task VerifyAsync(CacheEntry entry, int epoch, int currentChunk = -1, ReadOnlyMemory<byte> currentData = default)
    {
        bool matches;
        string detail;
        if (entry.Crc32c is uint expected)
        {
            uint actual = _cache.CombineChunkCrcs(entry);
            matches = actual == expected;
            detail = $"the CRC32C of the bytes read is {GcsHash.ToBase64(actual)}, the object's is {GcsHash.ToBase64(expected)}";
        }
        else if (entry.Md5 is byte[] expectedMd5)
        {
            byte[] actual = await ComputeMd5Async(entry, currentChunk, currentData).ConfigureAwait(false);
            matches = actual.AsSpan().SequenceEqual(expectedMd5);
            detail = $"the MD5 of the bytes read is {GcsHash.ToBase64(actual)}, the object's is {GcsHash.ToBase64(expectedMd5)}";
        }
        else
        {
            _logger.LogDebug("{Object} has no CRC32C or MD5: its bytes cannot be verified", entry.Key);
            return;
        }

        if (!matches)
        {
            throw Fail(entry, epoch, detail);
        }
        CachingMetrics.Verifications.Add(1);
        _logger.LogDebug("{Object} verified", entry.Key);
        await _cache.SetVerifiedAsync(entry, epoch, _shutdown).ConfigureAwait(false);
    }

    /// <summary>
    /// MD5 cannot be combined from pieces, so objects without a CRC32C are hashed in order: the completing chunk from
    /// its download buffer, the others from memory or the cache in small pieces, and any part evicted meanwhile
    /// streamed again from the store. Small pooled pieces keep this outside the memory budget's chunk-sized
    /// buffers, so it never waits for budget while holding some.
    /// </summary>
    private async Task<byte[]> ComputeMd5Async(CacheEntry entry, int currentChunk, ReadOnlyMemory<byte> currentData)
    {
        const int PieceSize = 256 * 1024;
        ChunkLayout layout = entry.Layout;
        using IncrementalHash md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        byte[] piece = ArrayPool<byte>.Shared.Rent(PieceSize);
        try
        {
            for (int chunk = 0; chunk < layout.ChunkCount; chunk++)
            {
                if (chunk == currentChunk)
                {
                    md5.AppendData(currentData.Span);
                    continue;
                }
                int length = layout.ChunkLength(chunk);
                int done = 0;
                ChunkSlot slot = _cache.Pin(entry, chunk);
                try
                {
                    while (done < length)
                    {
                        Memory<byte> destination = piece.AsMemory(0, Math.Min(PieceSize, length - done));
                        if (!_cache.TryReadHot(slot, done, destination)
                            && (await _cache.TryReadAsync(slot, done, destination, _shutdown).ConfigureAwait(false)).Outcome == ChunkReadOutcome.Miss)
                        {
                            break;
                        }
                        md5.AppendData(destination.Span);
                        done += destination.Length;
                    }
                }
                finally
                {
                    _cache.Unpin(slot);
                }
                if (done < length)
                {
                    await HashFromStoreAsync(entry, md5, layout.ChunkStart(chunk) + done, length - done, piece).ConfigureAwait(false);
                }
            }
            return md5.GetHashAndReset();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(piece);
        }
    }

    private async Task HashFromStoreAsync(CacheEntry entry, IncrementalHash md5, long start, long length, byte[] piece)
    {
        long total = 0;
        Stream stream = await _store.OpenReadAsync(entry.Key.Bucket, entry.Key.Name, start, RangeLength(entry, start, length), entry.Key.Generation, _shutdown)
            .ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            int n;
            while (total < length && (n = await stream.ReadAsync(piece.AsMemory(0, (int)Math.Min(piece.Length, length - total)), _shutdown).ConfigureAwait(false)) > 0)
            {
                md5.AppendData(piece.AsSpan(0, n));
                total += n;
            }
        }
        CachingMetrics.BytesReadFromStore.Add(total);
        if (total != length)
        {
            throw new TransientStoreException($"{entry.Key}: the download of bytes {start}-{start + length - 1} ended after {total} bytes.");
        }
    }

    /// <summary>Drops the cached copy, records the failure and returns the exception the failing read throws.</summary>
    private CorruptionException Fail(CacheEntry entry, int epoch, string detail, Exception? inner = null)
    {
        if (_cache.FailIntegrity(entry, epoch))
        {
            CachingMetrics.IntegrityFailures.Add(1);
            _logger.LogError("Integrity check failed for {Object}: {Detail}. The cached copy was dropped", entry.Key, detail);
        }
        return new CorruptionException($"{entry.Key} failed its integrity check: {detail}.", inner);
    }
}
