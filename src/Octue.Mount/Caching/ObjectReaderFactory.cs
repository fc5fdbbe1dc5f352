using System.Buffers;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// Opens verified readers over objects for one mount: all its readers share one <see cref="MemoryBudget"/>, one
/// buffer pool and one <see cref="ContentCache"/>.
/// </summary>
public sealed class ObjectReaderFactory : IAsyncDisposable
{
    private readonly IObjectStore _store;
    private readonly ContentCache _cache;
    private readonly ReadOptions _options;
    private readonly ChunkFetcher _fetcher;
    private readonly CancellationTokenSource _shutdown = new();
    /// <summary>
    /// This mount's gauges, removed with it (the counters live on the process-wide meter); the start-up warm-up's go
    /// on a meter no exporter reads (<see cref="WarmUpScope"/>).
    /// </summary>
    private readonly Meter _gauges = new(WarmUpScope.Active ? WarmUpScope.MeterName : CachingMetrics.MeterName);

    /// <summary>
    /// A factory reading from <paramref name="store"/> through <paramref name="cache"/>, with the chunk size,
    /// read-ahead and memory budget of <paramref name="options"/> (validated here).
    /// </summary>
    public ObjectReaderFactory(IObjectStore store, ContentCache cache, ReadOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _store = store;
        _cache = cache;
        _options = options;
        Budget = new MemoryBudget(options.MemoryBudget);
        ILogger logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ObjectReaderFactory>();
        long windowBytes = (long)options.ChunkSize * (options.Parallelism + 1);
        if (cache.CapacityBytes < windowBytes)
        {
            logger.LogWarning("The content cache ({Capacity} bytes) is smaller than one reader's read-ahead window ({Window} bytes): reads will download chunks more than once",
                cache.CapacityBytes, windowBytes);
        }
        // The pool keeps at most what the budget allows in flight, so idle buffers never outgrow it either.
        int buffers = (int)Math.Clamp(options.MemoryBudget / options.ChunkSize, 1, 1024);
        _fetcher = new ChunkFetcher(store, cache, Budget, new ChunkBufferPool(options.ChunkSize, buffers), logger, _shutdown.Token,
            options.WholeObjectFiles);
        _gauges.CreateObservableGauge("octue.mount.read.budget_in_use", () => Budget.InUse, "By", "Bytes of download buffers held now.");
        _gauges.CreateObservableGauge("octue.mount.read.budget_peak", () => Budget.Peak, "By", "Most bytes of download buffers ever held at once.");
        _gauges.CreateObservableGauge("octue.mount.cache.size", () => cache.SizeBytes, "By", "Bytes of chunk files in the content cache.");
    }

    /// <summary>The memory budget shared by every reader of this factory.</summary>
    public MemoryBudget Budget { get; }

    /// <summary>The content cache every reader of this factory shares.</summary>
    public ContentCache Cache => _cache;

    /// <summary>The options the factory was made with.</summary>
    public ReadOptions Options => _options;

    /// <summary>A reader pinned to <paramref name="obj"/>'s generation.</summary>
    public IObjectReader OpenReader(ObjectInfo obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ObjectDisposedException.ThrowIf(_shutdown.IsCancellationRequested, this);
        CacheEntry entry = _cache.Attach(obj, _options.ChunkSize);
        return new ObjectReader(obj, _cache, _fetcher, entry, _options.Parallelism);
    }

    /// <summary>
    /// A local file holding exactly the bytes of <paramref name="obj"/>'s generation, assembled from its verified
    /// cached chunks and checked whole (docs/read-path.md), for adapters that let the kernel read it directly (FUSE
    /// passthrough); null when there is none yet. A verified, wholly cached object without one gets one in the
    /// background, for later opens.
    /// </summary>
    public string? GetWholeFile(ObjectInfo obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (_cache.TryGetWholeFile(obj, out CacheEntry? entry) is { } path)
        {
            return path;
        }
        if (entry is not null)
        {
            _fetcher.MaybeAssembleWholeFile(entry);
        }
        return null;
    }

    /// <summary>True when the cache holds an entry for <paramref name="obj"/>'s generation (bytes of it may be served without a request).</summary>
    public bool Knows(ObjectInfo obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return _cache.Find(obj) is not null;
    }

    /// <summary>Whether this generation's bytes were verified (by a full read or a verified upload).</summary>
    public IntegrityState GetIntegrity(string bucket, string name, long generation) => _cache.GetIntegrity(bucket, name, generation);

    /// <summary>Called by the write path once an upload's hashes were confirmed by GCS.</summary>
    public void MarkVerified(string bucket, string name, long generation, bool remember = true) => _cache.MarkVerified(bucket, name, generation, remember);

    /// <summary>
    /// Seeds the cache from a local file whose upload GCS confirmed (the staged copy), so reading the object back
    /// costs no download, and marks the generation verified. True when the file now serves reads of the object.
    /// A file that does not match the object's hash is not adopted (false, nothing changes). Objects larger than a
    /// quarter of the cache are only marked verified, not copied (false), so one upload cannot flush the cache.
    /// </summary>
    public Task<bool> AdoptVerifiedFileAsync(ObjectInfo obj, string path, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return AdoptAsync(obj, entry => _fetcher.AdoptAsync(entry, path, ct));
    }

    private async Task<bool> AdoptAsync(ObjectInfo obj, Func<CacheEntry, Task<bool>> adopt)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (obj.Size > _cache.CapacityBytes / 4 || (obj.Crc32c is null && obj.Md5 is null))
        {
            if (obj.Crc32c is not null || obj.Md5 is not null)
            {
                MarkVerified(obj.Bucket, obj.Name, obj.Generation);
            }
            return false;
        }
        CacheEntry entry = _cache.Attach(obj, _options.ChunkSize);
        try
        {
            return await adopt(entry).ConfigureAwait(false);
        }
        finally
        {
            _cache.Detach(entry);
        }
    }

    /// <summary>Streamed chunks this factory did not cache because earlier cache writes held the memory the stream needed.</summary>
    internal long SkippedFills => _fetcher.SkippedFills;

    /// <summary>Completes once no download or cache write is running (tests use it to look at a settled cache).</summary>
    internal Task WhenIdleAsync() => _fetcher.DrainAsync();

    /// <summary>Stops the downloads in flight and waits for the cache writes of chunks already downloaded.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_shutdown.IsCancellationRequested)
        {
            return;
        }
        // The source is not disposed: downloads still unwinding may read its token.
        await _shutdown.CancelAsync().ConfigureAwait(false);
        await _fetcher.DrainAsync().ConfigureAwait(false);
        _gauges.Dispose();
    }
}
