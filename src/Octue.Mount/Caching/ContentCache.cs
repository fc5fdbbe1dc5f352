using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Octue.Mount.Integrity;
using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// The on-disk content cache: <c>&lt;cache&gt;/content/&lt;hash of bucket, name, generation&gt;/</c> holds a
/// <c>state.json</c> and one file per cached chunk (objects may be cached in part). Every chunk file carries the
/// CRC32C of each of its 64 KiB blocks, checked on every hit: a damaged chunk is discarded and downloaded again.
/// Chunks are evicted least recently used first to stay under <see cref="CapacityBytes"/> (chunks being read or
/// filled are pinned and never evicted). Keys include the generation, so the cache stays valid across mounts; the
/// integrity state of each generation is kept beside its chunks.
/// </summary>
/// <remarks>
/// One lock, <c>_sync</c>, guards the entries, the chunk slots, the open handles and the memory tier; the file work
/// it decides (deletes, closes, state writes) is queued and done after it (<c>ContentCache.FileWork.cs</c>).
/// The operations that take it are grouped by purpose: <c>ContentCache.Fetches.cs</c> (a chunk's download claimed
/// once), <c>.HotTier.cs</c> (chunks in memory), <c>.Reads.cs</c> (a chunk read and checked), <c>.Stores.cs</c> (a
/// chunk written), <c>.Verification.cs</c> (what is known of an object's bytes), <c>.WholeFiles.cs</c> (an object
/// in one file), <c>.Eviction.cs</c> (what leaves the cache) and <c>.Persistence.cs</c> (the cache across mounts);
/// this file keeps the entries' life (attach, pin, detach).
/// </remarks>
public sealed partial class ContentCache
{
    private readonly object _sync = new();
    private readonly Dictionary<ObjectKey, CacheEntry> _entries = new();
    /// <summary>Present chunks, most recently used first.</summary>
    private readonly LinkedList<ChunkSlot> _lru = new();
    private readonly ILogger _logger;
    private long _sizeBytes;
    /// <summary>Open chunk-file handles kept on slots (bounded, so a large open object cannot exhaust descriptors).</summary>
    private const int MaxCachedHandles = 256;
    private int _cachedHandles;
    /// <summary>Chunks held in memory, oldest first.</summary>
    private readonly LinkedList<HotChunk> _hot = new();
    /// <summary>Entries with a whole-object file, oldest first (evicted before any chunk: the chunks hold the same bytes).</summary>
    private readonly LinkedList<CacheEntry> _wholeFiles = new();
    /// <summary>File work decided under the lock (deletes, closes, state writes), done by whoever takes it after the lock.</summary>
    private QueuedFileWork? _queuedFileWork;
    /// <summary>Writes this folder's chunk files around the page cache, remembering whether the file system allows it.</summary>
    private readonly UnbufferedFileWriter _unbuffered = new();

    /// <summary>
    /// Opens (or creates) the cache under <paramref name="cacheDirectory"/>/content and indexes what an earlier
    /// mount left there. Runs once at mount time, so it reads the folder synchronously.
    /// </summary>
    public ContentCache(string cacheDirectory, long capacityBytes, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(cacheDirectory);
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        ContentDirectory = Path.Combine(Path.GetFullPath(cacheDirectory), "content");
        CapacityBytes = capacityBytes;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ContentCache>();
        Directory.CreateDirectory(ContentDirectory);
        LoadExisting();
    }

    /// <summary>The cache of <see cref="ReadOptions.CacheDirectory"/>, bounded by <see cref="ReadOptions.CacheSizeBytes"/>.</summary>
    public static ContentCache Create(ReadOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (string.IsNullOrWhiteSpace(options.CacheDirectory))
        {
            throw new ArgumentException("ReadOptions.CacheDirectory must name the cache folder.", nameof(options));
        }
        return new ContentCache(options.CacheDirectory, options.CacheSizeBytes, loggerFactory);
    }

    /// <summary>The folder holding the cached objects.</summary>
    public string ContentDirectory { get; }

    /// <summary>The most bytes of chunk files the cache keeps; least recently used chunks are evicted beyond it.</summary>
    public long CapacityBytes { get; }

    /// <summary>Bytes of chunk files in the cache now.</summary>
    public long SizeBytes
    {
        get { lock (_sync) { return _sizeBytes; } }
    }

    /// <summary>Number of chunk files in the cache now.</summary>
    public int ChunkCount
    {
        get { lock (_sync) { return _lru.Count; } }
    }

    /// <summary>The entry of this generation, if the cache knows it (nothing is created).</summary>
    internal CacheEntry? Find(ObjectInfo obj)
    {
        lock (_sync)
        {
            return _entries.GetValueOrDefault(new ObjectKey(obj.Bucket, obj.Name, obj.Generation));
        }
    }

    /// <summary>The entry of <paramref name="obj"/>'s generation, counted as open until <see cref="Detach"/>.</summary>
    internal CacheEntry Attach(ObjectInfo obj, int chunkSize)
    {
        QueuedFileWork? dropped = null;
        try
        {
            return AttachLocked(obj, chunkSize, ref dropped);
        }
        finally
        {
            dropped?.Run(this);
        }
    }

    private CacheEntry AttachLocked(ObjectInfo obj, int chunkSize, ref QueuedFileWork? dropped)
    {
        lock (_sync)
        {
            ObjectKey key = new(obj.Bucket, obj.Name, obj.Generation);
            CacheEntry entry = GetOrAddLocked(key);
            if (entry.HasLayout && !entry.Matches(obj))
            {
                // Same generation, different size or hash: the cached description cannot be trusted. Readers of the
                // old description are poisoned (their layout is no longer the object's) and a fresh entry starts.
                _logger.LogWarning("Cached description of {Object} does not match the object's metadata; dropping the cached copy", entry.Key);
                DropChunksLocked(entry);
                entry.NextEpoch();
                entry = new CacheEntry(key, entry.DirectoryPath);
                _entries[key] = entry;
                dropped = TakeQueuedFileWorkLocked();
            }
            if (!entry.HasLayout)
            {
                entry.SetLayout(new ChunkLayout(obj.Size, chunkSize), obj.Crc32c, obj.Md5);
                entry.LayoutPersisted = false;
            }
            entry.OpenReaders++;
            return entry;
        }
    }

    internal void Detach(CacheEntry entry)
    {
        QueuedFileWork? work;
        lock (_sync)
        {
            DetachLocked(entry);
            work = TakeQueuedFileWorkLocked();
        }
        work?.Run(this);
    }

    private void DetachLocked(CacheEntry entry)
    {
        entry.OpenReaders--;
        if (entry.OpenReaders != 0)
        {
            return;
        }
        foreach (ChunkSlot? slot in entry.Slots)
        {
            if (slot is not null)
            {
                CloseHandleLocked(slot);
                if (slot.Hot is { } hot)
                {
                    ReleaseHotLocked(hot);
                    hot.FreeIfUnused();
                }
            }
        }
    }

    /// <summary>Pins a chunk (it will not be evicted until <see cref="Unpin"/>) and marks it recently used.</summary>
    internal ChunkSlot Pin(CacheEntry entry, int chunk)
    {
        lock (_sync)
        {
            ChunkSlot slot = entry.Slot(chunk);
            slot.Pins++;
            if (slot.LruNode is { } node && node != _lru.First)
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
            }
            return slot;
        }
    }

    internal void Unpin(ChunkSlot slot)
    {
        QueuedFileWork? work = null;
        lock (_sync)
        {
            slot.Pins--;
            if (slot.Pins == 0 && _sizeBytes > CapacityBytes)
            {
                EvictLocked();
                work = TakeQueuedFileWorkLocked();
            }
        }
        work?.Run(this);
    }

    private CacheEntry GetOrAddLocked(ObjectKey key)
    {
        if (!_entries.TryGetValue(key, out CacheEntry? entry))
        {
            entry = new CacheEntry(key, Path.Combine(ContentDirectory, key.DirectoryName()));
            _entries.Add(key, entry);
        }
        return entry;
    }
}
