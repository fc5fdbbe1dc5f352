using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// One open object. Reads are cut at chunk boundaries and served from the content cache, downloading missing
/// chunks (whole chunks, so their CRC32C feeds the full-object check). Reads that follow one another start
/// read-ahead of the next chunks. Thread-safe: FUSE sends concurrent reads on one handle.
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
    private int _readAheadThrough = -1;
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
        StartReadAhead(offset, count);
        // A read spanning several chunks downloads the later ones in parallel with the first (budget permitting).
        int lastChunk = _layout.ChunkOf(offset + count - 1);
        for (int chunk = _layout.ChunkOf(offset) + 1; chunk <= lastChunk; chunk++)
        {
            if (!_fetcher.TryStartPrefetch(_entry, chunk, _epoch))
            {
                break;
            }
        }

        int done = 0;
        while (done < count)
        {
            long position = offset + done;
            int chunk = _layout.ChunkOf(position);
            int offsetInChunk = (int)(position - _layout.ChunkStart(chunk));
            int length = Math.Min(count - done, _layout.ChunkLength(chunk) - offsetInChunk);
            await ReadFromChunkAsync(chunk, offsetInChunk, buffer.Slice(done, length), ct).ConfigureAwait(false);
            done += length;
        }

        // A check that failed while this read ran may have condemned bytes it copied: do not return them.
        ThrowIfPoisoned();
        CachingMetrics.BytesServed.Add(count);
        return count;
    }

    private async ValueTask ReadFromChunkAsync(int chunk, int offsetInChunk, Memory<byte> destination, CancellationToken ct)
    {
        // A chunk evicted or found damaged between its download and its read is downloaded again; a few rounds
        // cover races, more means the disk keeps damaging what it stores.
        const int Attempts = 4;
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            ChunkSlot slot = _cache.Pin(_entry, chunk);
            try
            {
                if (_cache.TryReadHot(slot, offsetInChunk, destination))
                {
                    if (attempt == 0)
                    {
                        CachingMetrics.CacheHits.Add(1);
                    }
                    return;
                }
                ChunkRead read = await _cache.TryReadAsync(slot, offsetInChunk, destination, ct).ConfigureAwait(false);
                if (read.Outcome != ChunkReadOutcome.Miss)
                {
                    if (attempt == 0)
                    {
                        CachingMetrics.CacheHits.Add(1);
                    }
                    if (read.Outcome == ChunkReadOutcome.HitFirstSeen)
                    {
                        await _fetcher.RecordAsync(_entry, chunk, read.ChunkCrc, _epoch).ConfigureAwait(false);
                    }
                    return;
                }
                if (attempt == 0)
                {
                    CachingMetrics.CacheMisses.Add(1);
                }
                ThrowIfPoisoned();
                await _fetcher.EnsureFetchedAsync(_entry, slot, _epoch, ct).ConfigureAwait(false);
            }
            finally
            {
                _cache.Unpin(slot);
            }
            ThrowIfPoisoned();
        }
        throw new IOException($"{_entry.Key}: chunk {chunk} could not be kept in the content cache {_cache.ContentDirectory} (is the disk damaging files?).");
    }

    /// <summary>Detects a sequential stream and keeps the next chunks downloading ahead of it.</summary>
    private void StartReadAhead(long offset, int count)
    {
        int first;
        int last;
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
                _readAheadThrough = -1;
            }
            // A read at the start counts at once (cp, cat, sha256sum); elsewhere two reads in a row make a stream.
            if (_sequentialRun < 2 && !(sequential && offset < _sequentialSlack))
            {
                return;
            }
            int current = _layout.ChunkOf(offset + count - 1);
            first = Math.Max(current + 1, _readAheadThrough + 1);
            last = Math.Min(current + _readAhead, _layout.ChunkCount - 1);
        }

        for (int chunk = first; chunk <= last; chunk++)
        {
            if (!_fetcher.TryStartPrefetch(_entry, chunk, _epoch))
            {
                return;
            }
            lock (_sequenceSync)
            {
                _readAheadThrough = Math.Max(_readAheadThrough, chunk);
            }
        }
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
            _cache.Detach(_entry);
        }
        return ValueTask.CompletedTask;
    }
}
