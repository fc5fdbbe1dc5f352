namespace Octue.Mount.Caching;

/// <summary>
/// One long GET serving a sequential reader: it fills consecutive chunks from a single response, and each chunk is
/// published (<see cref="HotChunk.ForStreaming"/>) before its first byte arrives, so the reader copies bytes as they
/// come instead of waiting for whole chunks (first byte after one round trip, one request instead of one per chunk).
/// A filled chunk gets its block CRCs, its CRC32C recorded for the full-object check (which runs before the chunk that
/// completes the object counts as complete), and is written to the content cache in the background, never in front
/// of the reader: when too many writes are already queued the chunk is not cached (it stays readable from memory).
/// The stream runs ahead of its reader by a window that starts at one chunk and doubles, while the reader keeps up,
/// up to the read-ahead setting; it stops at the first chunk someone else holds (cached, or being downloaded), when
/// its reader closes, and on a failure (its chunks are then abandoned and readers fall back to chunk downloads).
/// </summary>
internal sealed class ChunkStream
{
    private readonly ChunkFetcher _fetcher;
    private readonly CacheEntry _entry;
    private readonly int _epoch;
    private readonly int _maxWindow;
    private readonly CancellationTokenSource _cancellation;
    private readonly object _sync = new();
    private int _readerChunk;
    private int _window = 1;
    private TaskCompletionSource? _readerMoved;
    /// <summary>The chunk the parked stream waits to claim (-1 when it is not parked).</summary>
    private int _parkedFor = -1;
    /// <summary>The chunk the reader claimed for the parked stream.</summary>
    private ClaimedChunk? _handoff;
    /// <summary>The stream's loop has ended (a chunk claimed for it after that is abandoned by whoever claimed it).</summary>
    private bool _finished;
    private volatile bool _running = true;
    private int _filling;
    /// <summary>Completed when the stream moves on from the chunk it fills, or ends (readers waiting for its next claim).</summary>
    private TaskCompletionSource? _moved;

    private ChunkStream(ChunkFetcher fetcher, CacheEntry entry, int epoch, int first, int maxWindow, CancellationToken shutdown)
    {
        _fetcher = fetcher;
        _entry = entry;
        _epoch = epoch;
        _maxWindow = Math.Max(1, maxWindow);
        _readerChunk = first;
        _filling = first;
        First = first;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
    }

    /// <summary>The chunk the stream started at.</summary>
    public int First { get; }

    /// <summary>The chunk being filled (or the last one filled).</summary>
    public int Filling => Volatile.Read(ref _filling);

    /// <summary>False once the stream stopped (end of object, a chunk held by someone else, closed or failed).</summary>
    public bool IsRunning => _running;

    /// <summary>
    /// Starts a stream at <paramref name="first"/> when that chunk can be claimed (not cached, nobody downloading it)
    /// and the memory budget has room for it; its first chunk is published before this returns.
    /// </summary>
    public static ChunkStream? TryStart(ChunkFetcher fetcher, CacheEntry entry, int epoch, int first, int maxWindow, CancellationToken shutdown)
    {
        ChunkStream stream = new(fetcher, entry, epoch, first, maxWindow, shutdown);
        ClaimedChunk? claimed = fetcher.TryClaimStreamChunk(entry, first, epoch);
        if (claimed is null)
        {
            stream._running = false;
            return null;
        }
        _ = stream.RunAsync(claimed);
        return stream;
    }

    /// <summary>
    /// The reader reached <paramref name="chunk"/>: the window may grow and the stream move on. When the stream is
    /// parked waiting for this, the next chunk is claimed here, on the reader's thread, before the reader can get
    /// to it (were the stream to claim it after waking, a quick reader could find it unclaimed and download it itself).
    /// </summary>
    public void ReaderAt(int chunk)
    {
        TaskCompletionSource? moved = null;
        int claim = -1;
        lock (_sync)
        {
            if (chunk > _readerChunk)
            {
                _readerChunk = chunk;
                _window = Math.Min(_maxWindow, _window * 2);
                if (_parkedFor >= 0 && _parkedFor <= _readerChunk + _window)
                {
                    claim = _parkedFor;
                    _parkedFor = -1;
                    moved = _readerMoved;
                    _readerMoved = null;
                }
            }
        }
        if (moved is null)
        {
            return;
        }
        ClaimedChunk? claimed = _running ? _fetcher.TryClaimStreamChunk(_entry, claim, _epoch) : null;
        bool orphaned;
        lock (_sync)
        {
            orphaned = _finished;
            if (!orphaned)
            {
                _handoff = claimed;
            }
        }
        if (orphaned && claimed is not null)
        {
            // The stream ended meanwhile: nobody will fill the chunk.
            _fetcher.AbandonStreamChunk(claimed);
        }
        moved.TrySetResult();
    }

    /// <summary>
    /// Completes once the stream has moved on from <paramref name="chunk"/> (it fills a later chunk, having claimed it)
    /// or has ended. A reader that finished the chunk being filled and finds the next one unclaimed waits for this
    /// instead of downloading that chunk itself: the stream claims its next chunk only after publishing the last
    /// bytes of the current one, and a reader that got there first would stop the stream (it stops at the first
    /// chunk someone else holds), costing a request per chunk from then on.
    /// </summary>
    public Task WhenMovedPastAsync(int chunk)
    {
        lock (_sync)
        {
            if (_finished || Volatile.Read(ref _filling) > chunk)
            {
                return Task.CompletedTask;
            }
            return (_moved ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    private void MoveTo(int chunk)
    {
        TaskCompletionSource? moved;
        lock (_sync)
        {
            Volatile.Write(ref _filling, chunk);
            moved = _moved;
            _moved = null;
        }
        moved?.TrySetResult();
    }

    /// <summary>Stops the stream (its reader closed); chunks not filled yet are abandoned.</summary>
    public void Cancel()
    {
        _running = false;
        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task RunAsync(ClaimedChunk first)
    {
        ClaimedChunk? current = first;
        ClaimedChunk? next = null;
        CancellationToken ct = _cancellation.Token;
        _fetcher.StreamStarted();
        try
        {
            ChunkLayout layout = _entry.Layout;
            Stream body = await _fetcher.OpenStreamAsync(_entry, _epoch, layout.ChunkStart(First), ct).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                while (current is not null)
                {
                    MoveTo(current.Slot.Index);
                    int following = current.Slot.Index + 1;
                    // The next chunk is claimed before this one fills, so a reader that reaches it finds it on its way
                    // rather than downloading it itself. Only with budget to spare: this chunk is not released yet.
                    next = following < layout.ChunkCount && WithinWindow(following)
                        ? _fetcher.TryClaimStreamChunk(_entry, following, _epoch)
                        : null;
                    uint[] blockCrcs = await FillAsync(body, current, ct).ConfigureAwait(false);
                    ClaimedChunk done = current;
                    current = null;
                    await _fetcher.CompleteStreamChunkAsync(_entry, _epoch, done, blockCrcs).ConfigureAwait(false);
                    if (next is null && following < layout.ChunkCount && _fetcher.NeedsFetch(_entry, following))
                    {
                        next = await WaitForWindowAsync(following, ct).ConfigureAwait(false)
                            ?? await _fetcher.ClaimStreamChunkAsync(_entry, following, _epoch, ct).ConfigureAwait(false);
                    }
                    current = next;
                    next = null;
                }
            }
        }
        catch (Exception ex)
        {
            _fetcher.StreamFailed(_entry, _epoch, ex, ct.IsCancellationRequested);
        }
        finally
        {
            _running = false;
            if (current is not null)
            {
                _fetcher.AbandonStreamChunk(current);
            }
            if (next is not null)
            {
                _fetcher.AbandonStreamChunk(next);
            }
            ClaimedChunk? handoff;
            TaskCompletionSource? moved;
            lock (_sync)
            {
                _finished = true;
                handoff = _handoff;
                _handoff = null;
                moved = _moved;
                _moved = null;
            }
            if (handoff is not null)
            {
                _fetcher.AbandonStreamChunk(handoff);
            }
            moved?.TrySetResult();
            _cancellation.Dispose();
            _fetcher.StreamEnded();
        }
    }

    private bool WithinWindow(int chunk)
    {
        lock (_sync)
        {
            return chunk <= _readerChunk + _window;
        }
    }

    /// <summary>
    /// Waits until the reader is within the window of <paramref name="chunk"/>; returns the chunk when the reader
    /// claimed it meanwhile (null: the stream claims it itself).
    /// </summary>
    private async Task<ClaimedChunk?> WaitForWindowAsync(int chunk, CancellationToken ct)
    {
        Task moved;
        lock (_sync)
        {
            if (chunk <= _readerChunk + _window)
            {
                return null;
            }
            _parkedFor = chunk;
            _readerMoved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            moved = _readerMoved.Task;
        }
        // A stream parked until its reader moves is not work in progress (the factory's idle wait ignores it).
        _fetcher.StreamEnded();
        try
        {
            await moved.WaitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _fetcher.StreamStarted();
            lock (_sync)
            {
                _parkedFor = -1;
                _readerMoved = null;
            }
        }
        lock (_sync)
        {
            ClaimedChunk? handoff = _handoff;
            _handoff = null;
            return handoff;
        }
    }

    /// <summary>Fills the chunk from the stream; returns its block CRCs, computed piece by piece as the bytes arrived.</summary>
    private async Task<uint[]> FillAsync(Stream body, ClaimedChunk chunk, CancellationToken ct)
    {
        // Small pieces so a reader waiting for the first bytes of a chunk is woken soon after they arrive.
        const int Piece = 256 * 1024;
        HotChunk hot = chunk.Hot;
        uint[] blockCrcs = new uint[ChunkLayout.BlockCount(hot.Length)];
        int filled = 0;
        try
        {
            while (filled < hot.Length)
            {
                int n = await body.ReadAsync(hot.Buffer.Memory.Slice(filled, Math.Min(Piece, hot.Length - filled)), ct).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new Storage.TransientStoreException(
                        $"{_entry.Key}: the download ended at byte {_entry.Layout.ChunkStart(chunk.Slot.Index) + filled} of {_entry.Layout.ObjectSize}.");
                }
                // Hashed before readers are told of the bytes: nothing writes this buffer but this loop.
                ChunkFile.AppendBlockCrcs(hot.Buffer.Span[..hot.Length], filled, filled + n, blockCrcs);
                filled += n;
                hot.Advance(filled);
            }
            return blockCrcs;
        }
        finally
        {
            CachingMetrics.BytesReadFromStore.Add(filled);
        }
    }
}

/// <summary>A chunk a stream claimed: its slot (pinned), the buffer published as its hot chunk, and the claim.</summary>
internal sealed record ClaimedChunk(ChunkSlot Slot, HotChunk Hot, TaskCompletionSource Claim);
