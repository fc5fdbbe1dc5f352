using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// One open object. Reads are cut at chunk boundaries and served from the content cache, downloading missing
/// chunks (whole chunks, so their CRC32C feeds the full-object check). A sequential reader is served by one
/// streaming download running ahead of it (<see cref="ChunkStream"/>), whose bytes it reads as they arrive.
/// Thread-safe: FUSE sends concurrent reads on one handle.
/// </summary>
internal sealed class ObjectReader : IObjectReader
{
    /// <summary>Upper bound of how far a read may land from where the last one ended and still count as sequential
    /// (parallel reads of one stream arrive slightly out of order). Half a chunk at most, so reads of other chunks
    /// never look like a stream.</summary>
    private const long MaxSequentialSlack = 1024 * 1024;

    private readonly ContentCache _cache;
    private readonly ChunkFetcher _fetcher;
    private readonly CacheEntry _entry;
    private readonly ChunkLayout _layout;
    private readonly int _epoch;
    private readonly int _readAhead;
    private readonly long _sequentialSlack;
    private readonly object _sequenceSync = new();
    private long _nextOffset;
    private int _sequentialRun;
    private ChunkStream? _stream;
    private int _disposed;

    public ObjectReader(ObjectInfo obj, ContentCache cache, ChunkFetcher fetcher, CacheEntry entry, int readAhead)
    {
        Object = obj;
        _cache = cache;
        _fetcher = fetcher;
        _entry = entry;
        _layout = entry.Layout;
        _epoch = entry.Epoch;
        _readAhead = readAhead;
        _sequentialSlack = Math.Min(MaxSequentialSlack, _layout.ChunkSize / 2);
    }

    public ObjectInfo Object { get; }

    public async ValueTask<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ThrowIfPoisoned();
        long size = _layout.ObjectSize;
        if (size == 0)
        {
            await _fetcher.VerifyEmptyAsync(_entry, _epoch).ConfigureAwait(false);
            ThrowIfPoisoned();
            return 0;
        }
        if (offset >= size || buffer.IsEmpty)
        {
            return 0;
        }

        int count = (int)Math.Min(buffer.Length, size - offset);
        bool streamed = FollowSequentialReader(offset, count);
        if (!streamed && !IsSmall(count))
        {
            // A large read spanning several chunks downloads the later ones in parallel with the first (budget permitting).
            int lastChunk = _layout.ChunkOf(offset + count - 1);
            for (int chunk = _layout.ChunkOf(offset) + 1; chunk <= lastChunk; chunk++)
            {
                if (!_fetcher.TryStartPrefetch(_entry, chunk, _epoch))
                {
                    break;
                }
            }
        }

        int done = 0;
        while (done < count)
        {
            long position = offset + done;
            int chunk = _layout.ChunkOf(position);
            int offsetInChunk = (int)(position - _layout.ChunkStart(chunk));
            int length = Math.Min(count - done, _layout.ChunkLength(chunk) - offsetInChunk);
            await ReadFromChunkAsync(chunk, offsetInChunk, buffer.Slice(done, length), reachesEnd: position + length == size,
                streamed, partial: !streamed && IsSmall(length), ct).ConfigureAwait(false);
            done += length;
        }

        if (offset + count == size && _cache.PendingFills(_entry) is { } pending)
        {
            // Bytes of chunks still streaming were served as they arrived: the read that reaches the end returns only
            // once they are all in and checked, so a full read never ends before the object's check.
            await Task.WhenAll(pending).WaitAsync(ct).ConfigureAwait(false);
        }

        // A check that failed while this read ran may have condemned bytes it copied: do not return them.
        ThrowIfPoisoned();
        CachingMetrics.BytesServed.Add(count);
        return count;
    }

    /// <summary>A read small enough (at most a quarter of a chunk) to be served by a download of just its blocks.</summary>
    private bool IsSmall(int length) => (long)length * 4 <= _layout.ChunkSize;

    /// <summary>
    /// Copies from one chunk. With <paramref name="partial"/> (a small read that no stream serves), a chunk nobody
    /// holds is not downloaded whole: just the blocks the read touches are (<see cref="ChunkFetcher.TryReadFragmentAsync"/>),
    /// until such downloads reach a quarter of the chunk.
    /// </summary>
    private async ValueTask ReadFromChunkAsync(int chunk, int offsetInChunk, Memory<byte> destination, bool reachesEnd, bool streamed,
        bool partial, CancellationToken ct)
    {
        // A chunk evicted or found damaged between its download and its read is downloaded again; a few rounds
        // cover races, more means the disk keeps damaging what it stores.
        const int Attempts = 4;
        int misses = 0;
        bool counted = false;
        while (true)
        {
            ChunkSlot slot = _cache.Pin(_entry, chunk);
            try
            {
                // Bytes of a chunk still streaming in are served as they arrive (the read that reaches the object's
                // end waits for the chunk's check).
                HotRead hot = _cache.TryReadHot(slot, offsetInChunk, destination, reachesEnd, out Task? arriving);
                if (hot == HotRead.Copied)
                {
                    Count(ref counted, hit: true);
                    return;
                }
                if (hot == HotRead.Wait)
                {
                    Count(ref counted, hit: false);
                    await arriving!.WaitAsync(ct).ConfigureAwait(false);
                    ThrowIfPoisoned();
                    continue;
                }
                ChunkRead read = await _cache.TryReadAsync(slot, offsetInChunk, destination, ct).ConfigureAwait(false);
                if (read.Outcome != ChunkReadOutcome.Miss)
                {
                    Count(ref counted, hit: true);
                    if (read.Outcome == ChunkReadOutcome.HitFirstSeen)
                    {
                        await _fetcher.RecordAsync(_entry, chunk, read.ChunkCrc, _epoch).ConfigureAwait(false);
                    }
                    return;
                }
                Count(ref counted, hit: false);
                if (streamed && StreamAbout(chunk) is { } streaming)
                {
                    // The stream serving this reader is about to claim this chunk (it has just published the last
                    // bytes of the one before): wait for it rather than download the chunk and stop the stream.
                    await streaming.WaitAsync(ct).ConfigureAwait(false);
                    ThrowIfPoisoned();
                    continue;
                }
                if (++misses > Attempts)
                {
                    throw new IOException($"{_entry.Key}: chunk {chunk} could not be kept in the content cache {_cache.ContentDirectory} (is the disk damaging files?).");
                }
                ThrowIfPoisoned();
                if (partial && await _fetcher.TryReadFragmentAsync(_entry, _epoch, chunk, offsetInChunk, destination, ct).ConfigureAwait(false))
                {
                    return;
                }
                await _fetcher.EnsureFetchedAsync(_entry, slot, _epoch, ct).ConfigureAwait(false);
            }
            finally
            {
                _cache.Unpin(slot);
            }
            ThrowIfPoisoned();
        }
    }

    /// <summary>
    /// When this reader's stream is still filling the chunk before <paramref name="chunk"/>, the task that completes
    /// once it moved on (having claimed <paramref name="chunk"/>, unless someone else holds it) or ended; else null.
    /// Only for a read the stream serves: it told the stream where it is (<see cref="ChunkStream.ReaderAt"/>), so a
    /// stream parked until its reader moves has been woken.
    /// </summary>
    private Task? StreamAbout(int chunk)
    {
        ChunkStream? stream;
        lock (_sequenceSync)
        {
            stream = _stream;
        }
        return stream is { IsRunning: true } && stream.Filling == chunk - 1 ? stream.WhenMovedPastAsync(chunk - 1) : null;
    }

    /// <summary>A chunk read counts once: a hit when its first look found the bytes, a miss when it waited for a download.</summary>
    private static void Count(ref bool counted, bool hit)
    {
        if (counted)
        {
            return;
        }
        counted = true;
        (hit ? CachingMetrics.CacheHits : CachingMetrics.CacheMisses).Add(1);
    }

    /// <summary>
    /// Detects a sequential reader and keeps one streaming download going ahead of it (<see cref="ChunkStream"/>),
    /// started at the first chunk it reaches that needs a download. True while such a stream serves this reader.
    /// </summary>
    private bool FollowSequentialReader(long offset, int count)
    {
        int current = _layout.ChunkOf(offset);
        int last = _layout.ChunkOf(offset + count - 1);
        ChunkStream? stream;
        lock (_sequenceSync)
        {
            bool sequential = Math.Abs(offset - _nextOffset) <= _sequentialSlack;
            if (sequential)
            {
                _sequentialRun++;
                _nextOffset = Math.Max(_nextOffset, offset + count);
            }
            else
            {
                _sequentialRun = 0;
                _nextOffset = offset + count;
            }
            // A read at the start counts at once (cp, cat, sha256sum); elsewhere two reads in a row make a stream.
            if (_sequentialRun < 2 && !(sequential && offset < _sequentialSlack))
            {
                return false;
            }
            stream = _stream;
            if (stream is not null && (!stream.IsRunning || current < stream.First || current > stream.Filling + _readAhead))
            {
                // Stopped, or the reader left the stream's stretch of the object: a new stream may start where it is.
                stream.Cancel();
                stream = _stream = null;
            }
        }
        if (stream is not null)
        {
            stream.ReaderAt(last);
            return true;
        }

        int through = Math.Min(last + 1, _layout.ChunkCount - 1);
        for (int chunk = current; chunk <= through; chunk++)
        {
            if (!_fetcher.NeedsFetch(_entry, chunk))
            {
                continue;
            }
            ChunkStream? started = _fetcher.TryStartStream(_entry, chunk, _epoch, _readAhead);
            if (started is null)
            {
                return false;
            }
            lock (_sequenceSync)
            {
                if (_stream is null && Volatile.Read(ref _disposed) == 0)
                {
                    _stream = started;
                    started.ReaderAt(last);
                    return true;
                }
            }
            // Another read of this handle started one meanwhile (or the handle closed): keep that one.
            started.Cancel();
            return false;
        }
        return false;
    }

    private void ThrowIfPoisoned()
    {
        if (_entry.Epoch != _epoch)
        {
            throw new CorruptionException(
                $"{_entry.Key} failed its integrity check; this handle returns no more bytes (open the file again to retry).");
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            lock (_sequenceSync)
            {
                _stream?.Cancel();
                _stream = null;
            }
            _cache.Detach(_entry);
        }
        return ValueTask.CompletedTask;
    }
}
