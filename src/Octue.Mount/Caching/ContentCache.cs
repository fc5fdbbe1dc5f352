// Over 400 lines: one lock guards the entries, chunk slots, open handles and memory tier, and every operation that takes
// it is in this file, so the rules of that lock read in one place.
using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
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
public sealed class ContentCache
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

    /// <summary>Whether the bytes of this object generation were verified (remembered across mounts).</summary>
    public IntegrityState GetIntegrity(string bucket, string name, long generation)
    {
        lock (_sync)
        {
            return _entries.TryGetValue(new ObjectKey(bucket, name, generation), out CacheEntry? entry)
                ? entry.Integrity
                : IntegrityState.Unverified;
        }
    }

    /// <summary>
    /// Records that this generation's bytes are known good (after an upload whose hashes GCS confirmed, or a whole
    /// download checked against them). <paramref name="remember"/> false keeps it for this mount only, writing
    /// nothing to disk: for an object whose bytes the cache does not hold (a small file read whole at its open, which
    /// its next open downloads and checks again), a record on disk would cost a folder and a state file per object.
    /// </summary>
    public void MarkVerified(string bucket, string name, long generation, bool remember = true)
    {
        CacheEntry entry;
        lock (_sync)
        {
            entry = GetOrAddLocked(new ObjectKey(bucket, name, generation));
            entry.Integrity = IntegrityState.Verified;
        }
        if (remember)
        {
            _ = PersistInBackgroundAsync(entry);
        }
    }

    /// <summary>
    /// The path of the whole-object file of <paramref name="obj"/>'s generation (for FUSE passthrough), or null when
    /// there is none, or when the file changed since it was checked (it is then dropped). <paramref name="entry"/> is
    /// the generation's entry whenever the cache knows it, so a caller can have the file made without a second lookup.
    /// </summary>
    internal string? TryGetWholeFile(ObjectInfo obj, out CacheEntry? entry)
    {
        WholeFileInfo whole;
        lock (_sync)
        {
            if (!_entries.TryGetValue(new ObjectKey(obj.Bucket, obj.Name, obj.Generation), out entry)
                || entry.WholeFile is not { } known || entry.Integrity != IntegrityState.Verified
                || !entry.HasLayout || !entry.Matches(obj))
            {
                return null;
            }
            whole = known;
        }
        FileInfo file = new(entry.WholeFilePath);
        if (whole.Describes(file))
        {
            return file.FullName;
        }
        _logger.LogWarning("The whole-object file of {Object} changed after it was checked; it is dropped", entry.Key);
        CachingMetrics.CacheCorruptChunks.Add(1);
        DropWholeFile(entry);
        return null;
    }

    /// <summary>The entry of this generation, if the cache knows it (nothing is created).</summary>
    internal CacheEntry? Find(ObjectInfo obj)
    {
        lock (_sync)
        {
            return _entries.GetValueOrDefault(new ObjectKey(obj.Bucket, obj.Name, obj.Generation));
        }
    }

    /// <summary>
    /// Claims the assembly of the entry's whole-object file: true when the generation is verified, every chunk is
    /// cached, there is no such file yet, and it is at most a quarter of the cache (it doubles the object's space).
    /// </summary>
    internal bool TryClaimWholeFile(CacheEntry entry)
    {
        lock (_sync)
        {
            if (entry.WholeFile is not null || entry.WholeFileQueued || entry.Integrity != IntegrityState.Verified || !entry.HasLayout
                || entry.Layout.ObjectSize == 0 || entry.Layout.ObjectSize > CapacityBytes / 4
                || entry.PresentCount != entry.Layout.ChunkCount)
            {
                return false;
            }
            entry.WholeFileQueued = true;
            return true;
        }
    }

    /// <summary>Ends an assembly; with <paramref name="file"/> the checked file at <see cref="CacheEntry.WholeFilePath"/> is adopted.</summary>
    internal async Task EndWholeFileAsync(CacheEntry entry, int epoch, WholeFileInfo? file)
    {
        bool adopted = false;
        lock (_sync)
        {
            entry.WholeFileQueued = false;
            if (file is { } whole && entry.Epoch == epoch && entry.WholeFile is null)
            {
                entry.WholeFile = whole;
                entry.WholeFileNode = _wholeFiles.AddLast(entry);
                _sizeBytes += whole.Length;
                adopted = true;
            }
        }
        if (!adopted)
        {
            if (file is not null)
            {
                TryDeleteFile(entry.WholeFilePath);
            }
            return;
        }
        await PersistInBackgroundAsync(entry).ConfigureAwait(false);
        QueuedFileWork? work;
        lock (_sync)
        {
            EvictLocked();
            work = TakeQueuedFileWorkLocked();
        }
        work?.Run(this);
    }

    private void DropWholeFile(CacheEntry entry)
    {
        bool dropped;
        lock (_sync)
        {
            dropped = ForgetWholeFileLocked(entry);
        }
        if (dropped)
        {
            TryDeleteFile(entry.WholeFilePath);
            _ = PersistInBackgroundAsync(entry);
        }
    }

    private bool ForgetWholeFileLocked(CacheEntry entry)
    {
        if (entry.WholeFile is not { } whole)
        {
            return false;
        }
        entry.WholeFile = null;
        if (entry.WholeFileNode is { } node)
        {
            _wholeFiles.Remove(node);
            entry.WholeFileNode = null;
        }
        _sizeBytes -= whole.Length;
        return true;
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

    /// <summary>True when the chunk is neither cached nor being downloaded.</summary>
    internal bool NeedsFetch(CacheEntry entry, int chunk)
    {
        lock (_sync)
        {
            ChunkSlot? slot = entry.Slots[chunk];
            return slot is null || (!slot.Present && slot.Hot is null && slot.Fetch is null);
        }
    }

    /// <summary>
    /// Claims the download of a chunk. False when it is cached (<paramref name="existing"/> null) or already being
    /// downloaded (<paramref name="existing"/> is that download).
    /// </summary>
    internal bool TryClaimFetch(ChunkSlot slot, out Task? existing, [NotNullWhen(true)] out TaskCompletionSource? claim)
    {
        lock (_sync)
        {
            if (slot.Present || slot.Hot is not null)
            {
                existing = null;
                claim = null;
                return false;
            }
            if (slot.Fetch is { } running)
            {
                existing = running;
                claim = null;
                return false;
            }
            claim = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            slot.Fetch = claim.Task;
            existing = null;
            return true;
        }
    }

    internal void EndFetch(ChunkSlot slot, TaskCompletionSource claim, Exception? error)
    {
        lock (_sync)
        {
            if (slot.Fetch == claim.Task)
            {
                slot.Fetch = null;
            }
        }
        if (error is null)
        {
            claim.TrySetResult();
        }
        else
        {
            claim.TrySetException(error);
            // Read-ahead failures may have no waiter; reading the exception marks it observed.
            _ = claim.Task.Exception;
        }
    }

    /// <summary>
    /// Makes a downloaded chunk readable from memory (the download keeps one hold on it until
    /// <see cref="HotStored"/>). False when the entry was dropped after <paramref name="epoch"/> began.
    /// </summary>
    internal bool PublishHot(HotChunk hot, int epoch)
    {
        lock (_sync)
        {
            ChunkSlot slot = hot.Slot;
            if (slot.Entry.Epoch != epoch || slot.Hot is not null)
            {
                return false;
            }
            slot.Hot = hot;
            hot.Node = _hot.AddLast(hot);
            return true;
        }
    }

    /// <summary>
    /// The download's disk write finished (<paramref name="onDisk"/>: the chunk file is in the cache; false when the
    /// write was skipped or failed): the chunk's memory may go when nobody needs it (<see cref="HotChunk.ShouldGiveBack"/>).
    /// </summary>
    internal void HotStored(HotChunk hot, bool onDisk)
    {
        lock (_sync)
        {
            hot.Stored = true;
            hot.OnDisk = onDisk;
            hot.Users--;
            if (hot.ReleaseWhenStored || hot.ShouldGiveBack || hot.Slot.Entry.OpenReaders == 0)
            {
                DetachHotLocked(hot);
            }
            hot.FreeIfUnused();
        }
    }

    /// <summary>Copies from a chunk held in memory; false when the chunk is not (wholly) in memory.</summary>
    internal bool TryReadHot(ChunkSlot slot, int offsetInChunk, Memory<byte> destination) =>
        TryReadHot(slot, offsetInChunk, destination, waitForCompletion: false, out _) == HotRead.Copied;

    /// <summary>
    /// Copies from a chunk held in memory. A chunk still being filled by a streaming download serves the bytes that
    /// arrived; for others the answer is <see cref="HotRead.Wait"/> with the task to await before looking again. With
    /// <paramref name="waitForCompletion"/> (a read that reaches the object's end) nothing is copied until the whole
    /// chunk arrived and was checked, so the object's check runs before the last bytes are returned.
    /// </summary>
    internal HotRead TryReadHot(ChunkSlot slot, int offsetInChunk, Memory<byte> destination, bool waitForCompletion, out Task? wait)
    {
        HotChunk? hot;
        int end = offsetInChunk + destination.Length;
        lock (_sync)
        {
            hot = slot.Hot;
            if (hot is null)
            {
                wait = null;
                return HotRead.Absent;
            }
            if (waitForCompletion ? !hot.IsComplete : hot.Filled < end)
            {
                wait = waitForCompletion ? hot.Completion : hot.WhenFilledAsync(end);
                return HotRead.Wait;
            }
            hot.Users++;
        }
        wait = null;
        hot.Buffer.Span.Slice(offsetInChunk, destination.Length).CopyTo(destination.Span);
        lock (_sync)
        {
            hot.Users--;
            // After its last byte a sequential reader is done with the chunk; and memory others wait for goes as soon
            // as this copy is over (once the disk write finished: then the rest can be read where it went, and a
            // chunk only in memory stays for its own stream's reader, see ShouldGiveBack).
            if (end == hot.Length || (hot.Stored && hot.ShouldGiveBack))
            {
                ReleaseHotLocked(hot);
            }
            hot.FreeIfUnused();
        }
        return HotRead.Copied;
    }

    /// <summary>
    /// What every chunk of the entry still being filled by a streaming download will finish with (empty when none):
    /// the read that reaches the object's end awaits them, so bytes served while they arrived are checked before it returns.
    /// </summary>
    internal List<Task>? PendingFills(CacheEntry entry)
    {
        List<Task>? pending = null;
        lock (_sync)
        {
            foreach (ChunkSlot? slot in entry.Slots)
            {
                if (slot?.Hot is { } hot && !hot.Completion.IsCompleted)
                {
                    (pending ??= []).Add(hot.Completion);
                }
            }
        }
        return pending;
    }

    /// <summary>
    /// A streaming download gave up a chunk it had published (its reader closed, or the stream failed): the chunk
    /// leaves its slot, the download's hold on the memory goes, and the readers waiting for it look again.
    /// </summary>
    internal void AbandonHot(HotChunk hot)
    {
        lock (_sync)
        {
            DetachHotLocked(hot);
            if (!hot.Stored)
            {
                hot.Stored = true;
                hot.Users--;
            }
            hot.FreeIfUnused();
        }
        hot.Finish();
    }

    /// <summary>
    /// Gives back the memory of every chunk whose disk write finished and that is not being read (someone waits for
    /// budget), except the chunks of <paramref name="sparing"/> that are only in memory: a stream of that object
    /// waiting for room for its next chunk must not drop the ones its reader has yet to read (they would be
    /// downloaded again).
    /// </summary>
    internal void ReclaimHot(CacheEntry? sparing)
    {
        lock (_sync)
        {
            LinkedListNode<HotChunk>? node = _hot.First;
            while (node is not null)
            {
                LinkedListNode<HotChunk>? next = node.Next;
                HotChunk hot = node.Value;
                if (hot.Stored && hot.Users == 0 && (hot.OnDisk || hot.Slot.Entry != sparing))
                {
                    DetachHotLocked(hot);
                    hot.FreeIfUnused();
                }
                node = next;
            }
        }
    }

    private void ReleaseHotLocked(HotChunk hot)
    {
        if (hot.Stored)
        {
            DetachHotLocked(hot);
        }
        else
        {
            hot.ReleaseWhenStored = true;
        }
    }

    private void DetachHotLocked(HotChunk hot)
    {
        if (hot.Detached)
        {
            return;
        }
        hot.Detached = true;
        if (hot.Slot.Hot == hot)
        {
            hot.Slot.Hot = null;
        }
        if (hot.Node is { } node)
        {
            _hot.Remove(node);
            hot.Node = null;
        }
    }

    /// <summary>
    /// Reads <paramref name="destination"/>.Length bytes at <paramref name="offsetInChunk"/> from a cached chunk
    /// (the caller holds a pin), checking the CRC32C of every block it touches. A chunk that fails is discarded
    /// and reported as a miss.
    /// </summary>
    internal async ValueTask<ChunkRead> TryReadAsync(ChunkSlot slot, int offsetInChunk, Memory<byte> destination, CancellationToken ct)
    {
        CacheEntry entry = slot.Entry;
        uint[]? blockCrcs;
        int version;
        lock (_sync)
        {
            if (!slot.Present)
            {
                return default;
            }
            blockCrcs = slot.BlockCrcs;
            version = slot.Version;
        }

        int chunkLength = entry.Layout.ChunkLength(slot.Index);
        SafeFileHandle? handle = AcquireHandle(slot, version, out bool borrowed);
        if (handle is null)
        {
            Discard(slot, version, "its file is missing");
            return default;
        }

        try
        {
            bool firstSeen = false;
            uint chunkCrc = 0;
            if (blockCrcs is null)
            {
                blockCrcs = await ChunkFile.ReadHeaderAsync(handle, chunkLength, ct).ConfigureAwait(false);
                if (blockCrcs is null)
                {
                    Discard(slot, version, "its header is damaged");
                    return default;
                }
                chunkCrc = ChunkFile.CombineBlocks(blockCrcs, chunkLength);
                lock (_sync)
                {
                    if (entry.Known[slot.Index] && entry.ChunkCrcs[slot.Index] != chunkCrc)
                    {
                        blockCrcs = null;
                    }
                    else
                    {
                        if (slot.Version == version && slot.Present)
                        {
                            slot.BlockCrcs = blockCrcs;
                        }
                        firstSeen = !entry.Known[slot.Index];
                    }
                }
                if (blockCrcs is null)
                {
                    Discard(slot, version, "it does not hold the bytes verified earlier");
                    return default;
                }
            }

            if (!await ReadCheckedAsync(handle, blockCrcs, chunkLength, offsetInChunk, destination, ct).ConfigureAwait(false))
            {
                Discard(slot, version, "a block does not match its CRC32C");
                return default;
            }
            return new ChunkRead(firstSeen ? ChunkReadOutcome.HitFirstSeen : ChunkReadOutcome.Hit, chunkCrc);
        }
        finally
        {
            if (borrowed)
            {
                handle.DangerousRelease();
            }
            else
            {
                handle.Dispose();
            }
        }
    }

    /// <summary>
    /// A handle on a chunk file: the slot's own (borrowed: a reference is added so that closing it on eviction
    /// waits for this read), or a new one that is kept for the next reads of the chunk while its object is open
    /// and fewer than <see cref="MaxCachedHandles"/> are kept; otherwise the caller closes it. Null when the file is gone.
    /// </summary>
    private SafeFileHandle? AcquireHandle(ChunkSlot slot, int version, out bool borrowed)
    {
        lock (_sync)
        {
            if (slot.Handle is { } cached && slot.Version == version)
            {
                bool added = false;
                cached.DangerousAddRef(ref added);
                borrowed = added;
                if (added)
                {
                    return cached;
                }
            }
        }

        SafeFileHandle handle;
        try
        {
            FileWorkObserver?.Invoke(Monitor.IsEntered(_sync));
            handle = File.OpenHandle(slot.Entry.ChunkPath(slot.Index), FileMode.Open, FileAccess.Read,
                FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            borrowed = false;
            return null;
        }

        lock (_sync)
        {
            if (slot.Present && slot.Version == version && slot.Handle is null && slot.Entry.OpenReaders > 0
                && _cachedHandles < MaxCachedHandles)
            {
                slot.Handle = handle;
                _cachedHandles++;
                bool added = false;
                handle.DangerousAddRef(ref added);
                borrowed = added;
                return handle;
            }
        }
        borrowed = false;
        return handle;
    }

    private void CloseHandleLocked(ChunkSlot slot)
    {
        if (slot.Handle is { } handle)
        {
            slot.Handle = null;
            _cachedHandles--;
            QueueFileWorkLocked().Closes.Add(handle);
        }
    }

    private static async ValueTask<bool> ReadCheckedAsync(SafeFileHandle handle, uint[] blockCrcs, int chunkLength,
        int offsetInChunk, Memory<byte> destination, CancellationToken ct)
    {
        int dataOffset = ChunkFile.DataOffset(blockCrcs.Length);
        int firstBlock = offsetInChunk / ChunkLayout.BlockSize;
        int lastBlock = (offsetInChunk + destination.Length - 1) / ChunkLayout.BlockSize;
        int regionStart = firstBlock * ChunkLayout.BlockSize;
        int regionLength = Math.Min((lastBlock + 1) * ChunkLayout.BlockSize, chunkLength) - regionStart;

        // Whole blocks are read straight into the caller's buffer; otherwise the covering blocks go through a pooled one.
        bool direct = regionStart == offsetInChunk && regionLength == destination.Length;
        byte[]? rented = direct ? null : ArrayPool<byte>.Shared.Rent(regionLength);
        try
        {
            Memory<byte> region = direct ? destination : rented.AsMemory(0, regionLength);
            int read = await ChunkFile.ReadFullyAsync(handle, region, dataOffset + (long)regionStart, ct).ConfigureAwait(false);
            if (read != regionLength)
            {
                return false;
            }
            ReadOnlySpan<byte> span = region.Span;
            for (int block = firstBlock; block <= lastBlock; block++)
            {
                int start = (block - firstBlock) * ChunkLayout.BlockSize;
                int length = Math.Min(ChunkLayout.BlockSize, regionLength - start);
                if (Crc32C.Compute(span.Slice(start, length)) != blockCrcs[block])
                {
                    return false;
                }
            }
            if (!direct)
            {
                span.Slice(offsetInChunk - regionStart, destination.Length).CopyTo(destination.Span);
            }
            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Stores a downloaded chunk. Returns false (and stores nothing) when the entry was dropped after
    /// <paramref name="epoch"/> began, or when the chunk's file would not fit in the whole cache.
    /// </summary>
    internal async ValueTask<bool> StoreChunkAsync(ChunkSlot slot, ReadOnlyMemory<byte> data, uint[] blockCrcs, int epoch, CancellationToken ct)
    {
        CacheEntry entry = slot.Entry;
        // A file the cache could only evict again at once is not written: the write would be wasted, and while its
        // slot is pinned the cache would hold more than its capacity.
        if (ChunkFile.DataOffset(blockCrcs.Length) + (long)data.Length > CapacityBytes)
        {
            return false;
        }
        bool persisted;
        lock (_sync)
        {
            persisted = entry.LayoutPersisted;
        }
        if (!persisted)
        {
            await PersistAsync(entry, ct).ConfigureAwait(false);
        }

        string path = entry.ChunkPath(slot.Index);
        string temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            await ChunkFile.WriteAsync(_unbuffered, temporary, data, blockCrcs, ct).ConfigureAwait(false);
        }
        catch
        {
            TryDeleteFile(temporary);
            throw;
        }

        bool current;
        lock (_sync)
        {
            current = entry.Epoch == epoch;
        }
        if (!current)
        {
            TryDeleteFile(temporary);
            return false;
        }
        // The rename runs outside the lock (no syscall under a lock the read path takes). Until the slot is marked
        // present below, readers do not open the file; a copy it replaces stays readable through open handles.
        try
        {
            FileWorkObserver?.Invoke(Monitor.IsEntered(_sync));
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDeleteFile(temporary);
            throw;
        }

        QueuedFileWork? work;
        bool stored;
        lock (_sync)
        {
            stored = entry.Epoch == epoch;
            if (!stored)
            {
                // Dropped meanwhile: the file just put in place goes with the rest of the entry.
                QueueFileWorkLocked().Deletes.Add(path);
            }
            else
            {
                if (slot.Present)
                {
                    RemovePresentLocked(slot, deleteFile: false);
                }
                slot.Present = true;
                slot.FileBytes = ChunkFile.DataOffset(blockCrcs.Length) + (long)data.Length;
                slot.BlockCrcs = blockCrcs;
                slot.Version++;
                slot.LruNode = _lru.AddFirst(slot);
                _sizeBytes += slot.FileBytes;
                EvictLocked();
            }
            work = TakeQueuedFileWorkLocked();
        }
        work?.Run(this);
        return stored;
    }

    /// <summary>
    /// Claims a download of blocks <paramref name="firstBlock"/>.. of a chunk on their own, for a partial read. True
    /// when nobody holds the chunk (not cached, in memory or being downloaded), its CRC32C is not known yet (else the
    /// whole chunk is downloaded and checked against it), and the blocks so claimed stay within a
    /// quarter of the chunk: past that the chunk is downloaded whole, so reading an object in full always ends in whole
    /// chunks whose CRC32C feeds the full-object check.
    /// </summary>
    internal bool TryReserveFragment(CacheEntry entry, int chunk, int firstBlock, int blockCount, int epoch)
    {
        lock (_sync)
        {
            ChunkSlot? slot = entry.Slots[chunk];
            // A chunk whose CRC32C is known (a verified generation's, evicted since) is downloaded whole, so that it
            // is checked on arrival.
            if (entry.Epoch != epoch || entry.Known[chunk]
                || (slot is not null && (slot.Present || slot.Hot is not null || slot.Fetch is not null)))
            {
                return false;
            }
            int chunkBlocks = ChunkLayout.BlockCount(entry.Layout.ChunkLength(chunk));
            entry.Fragments ??= new Dictionary<int, FragmentBlocks>();
            if (!entry.Fragments.TryGetValue(chunk, out FragmentBlocks? fragments))
            {
                fragments = new FragmentBlocks(chunkBlocks);
            }
            // Past a quarter of the chunk's blocks, the chunk is downloaded whole instead.
            if (!fragments.TryReserve(firstBlock, blockCount, limit: chunkBlocks / 4))
            {
                return false;
            }
            entry.Fragments[chunk] = fragments;
            return true;
        }
    }

    /// <summary>Records the block CRCs of a partial download; <see cref="KnowledgeOutcome.Mismatch"/> when a block differs from an earlier copy.</summary>
    internal KnowledgeOutcome RecordFragment(CacheEntry entry, int chunk, int firstBlock, ReadOnlySpan<uint> blockCrcs, int epoch)
    {
        lock (_sync)
        {
            if (entry.Epoch != epoch)
            {
                return KnowledgeOutcome.Stale;
            }
            // The record made when the download was claimed is gone only when the whole chunk arrived meanwhile (its
            // check consumed the record): these bytes were not part of that check, so the chunk serves the read instead.
            if (entry.Fragments?.GetValueOrDefault(chunk) is not { } fragments)
            {
                return KnowledgeOutcome.Superseded;
            }
            return fragments.Record(firstBlock, blockCrcs) ? KnowledgeOutcome.Recorded : KnowledgeOutcome.Mismatch;
        }
    }

    /// <summary>
    /// A whole chunk arrived: the blocks of it served earlier from partial downloads are compared with it (and then
    /// forgotten: the chunk's own CRC32C covers them from now on). The first block that differs, or -1.
    /// </summary>
    internal int CheckFragments(CacheEntry entry, int chunk, ReadOnlySpan<uint> blockCrcs)
    {
        lock (_sync)
        {
            if (entry.Fragments is not { } all || !all.Remove(chunk, out FragmentBlocks? fragments))
            {
                return -1;
            }
            return fragments.FirstMismatch(blockCrcs);
        }
    }

    internal KnowledgeOutcome CheckKnown(CacheEntry entry, int chunk, uint crc)
    {
        lock (_sync)
        {
            if (!entry.Known[chunk])
            {
                return KnowledgeOutcome.Unknown;
            }
            return entry.ChunkCrcs[chunk] == crc ? KnowledgeOutcome.Same : KnowledgeOutcome.Mismatch;
        }
    }

    /// <summary>Records a chunk's CRC32C; <see cref="KnowledgeOutcome.Complete"/> hands the full-object check to the caller.</summary>
    internal KnowledgeOutcome RecordChunkCrc(CacheEntry entry, int chunk, uint crc, int epoch)
    {
        lock (_sync)
        {
            if (entry.Epoch != epoch)
            {
                return KnowledgeOutcome.Stale;
            }
            if (entry.Known[chunk])
            {
                return entry.ChunkCrcs[chunk] == crc ? KnowledgeOutcome.Same : KnowledgeOutcome.Mismatch;
            }
            entry.RecordKnown(chunk, crc);
            return ClaimVerificationLocked(entry) ? KnowledgeOutcome.Complete : KnowledgeOutcome.Recorded;
        }
    }

    /// <summary>Claims the full-object check when every chunk is known (used for empty objects, which have no chunk).</summary>
    internal bool TryClaimVerification(CacheEntry entry, int epoch)
    {
        lock (_sync)
        {
            return entry.Epoch == epoch && ClaimVerificationLocked(entry);
        }
    }

    private static bool ClaimVerificationLocked(CacheEntry entry)
    {
        if (entry.KnownCount == entry.Layout.ChunkCount && !entry.VerificationClaimed)
        {
            entry.VerificationClaimed = true;
            return true;
        }
        return false;
    }

    /// <summary>The CRC32C of the whole object from the CRC32C of its chunks (all known).</summary>
    internal uint CombineChunkCrcs(CacheEntry entry)
    {
        lock (_sync)
        {
            ChunkLayout layout = entry.Layout;
            uint crc = 0;
            for (int i = 0; i < layout.ChunkCount; i++)
            {
                crc = i == 0 ? entry.ChunkCrcs[0] : Crc32C.Combine(crc, entry.ChunkCrcs[i], layout.ChunkLength(i));
            }
            return crc;
        }
    }

    internal async Task SetVerifiedAsync(CacheEntry entry, int epoch, CancellationToken ct)
    {
        lock (_sync)
        {
            if (entry.Epoch != epoch)
            {
                return;
            }
            entry.Integrity = IntegrityState.Verified;
        }
        await PersistAsync(entry, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Records the chunk CRCs of a local copy known to equal the object (an upload GCS confirmed) and marks the
    /// generation verified. False when the entry was dropped after <paramref name="epoch"/> began.
    /// </summary>
    internal async Task<bool> AdoptVerifiedAsync(CacheEntry entry, uint[] chunkCrcs, int epoch, CancellationToken ct)
    {
        lock (_sync)
        {
            if (entry.Epoch != epoch)
            {
                return false;
            }
            for (int i = 0; i < chunkCrcs.Length; i++)
            {
                entry.RecordKnown(i, chunkCrcs[i]);
            }
            entry.VerificationClaimed = true;
            entry.Integrity = IntegrityState.Verified;
        }
        await PersistAsync(entry, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// After a failed full-object check: drops every cached chunk, forgets the chunk CRCs, poisons the readers of
    /// <paramref name="epoch"/> and records <see cref="IntegrityState.Failed"/>. False when another caller did it first.
    /// </summary>
    internal bool FailIntegrity(CacheEntry entry, int epoch)
    {
        QueuedFileWork? work;
        lock (_sync)
        {
            if (entry.Epoch != epoch)
            {
                return false;
            }
            entry.NextEpoch();
            entry.Integrity = IntegrityState.Failed;
            DropChunksLocked(entry);
            entry.ResetKnowledge();
            work = TakeQueuedFileWorkLocked();
        }
        work?.Run(this);
        _ = PersistInBackgroundAsync(entry);
        return true;
    }

    private void Discard(ChunkSlot slot, int version, string reason)
    {
        bool removed = false;
        QueuedFileWork? work;
        lock (_sync)
        {
            if (slot.Present && slot.Version == version)
            {
                RemovePresentLocked(slot, deleteFile: true);
                removed = true;
            }
            work = TakeQueuedFileWorkLocked();
        }
        work?.Run(this);
        if (removed)
        {
            CachingMetrics.CacheCorruptChunks.Add(1);
            _logger.LogWarning("Discarded cached chunk {Chunk} of {Object} because {Reason}; it will be downloaded again",
                slot.Index, slot.Entry.Key, reason);
        }
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

    private void DropChunksLocked(CacheEntry entry)
    {
        if (ForgetWholeFileLocked(entry))
        {
            QueueFileWorkLocked().Deletes.Add(entry.WholeFilePath);
        }
        foreach (ChunkSlot? slot in entry.Slots)
        {
            if (slot is { Present: true })
            {
                RemovePresentLocked(slot, deleteFile: true);
            }
            if (slot?.Hot is { } hot)
            {
                DetachHotLocked(hot);
                hot.FreeIfUnused();
            }
        }
    }

    private void EvictLocked()
    {
        // Whole-object files first: their chunks hold the same bytes. A file a passthrough reader has open stays
        // readable for it after the unlink.
        while (_sizeBytes > CapacityBytes && _wholeFiles.First is { } oldest)
        {
            CacheEntry entry = oldest.Value;
            ForgetWholeFileLocked(entry);
            QueuedFileWork work = QueueFileWorkLocked();
            work.Deletes.Add(entry.WholeFilePath);
            work.Persists.Add(entry);
        }
        LinkedListNode<ChunkSlot>? node = _lru.Last;
        while (_sizeBytes > CapacityBytes && node is not null)
        {
            LinkedListNode<ChunkSlot>? previous = node.Previous;
            if (node.Value.Pins == 0)
            {
                RemovePresentLocked(node.Value, deleteFile: true);
            }
            node = previous;
        }
    }

    private void RemovePresentLocked(ChunkSlot slot, bool deleteFile)
    {
        CloseHandleLocked(slot);
        if (deleteFile)
        {
            QueueFileWorkLocked().Deletes.Add(slot.Entry.ChunkPath(slot.Index));
        }
        if (slot.LruNode is { } node)
        {
            _lru.Remove(node);
            slot.LruNode = null;
        }
        _sizeBytes -= slot.FileBytes;
        slot.FileBytes = 0;
        slot.Present = false;
        slot.BlockCrcs = null;
        slot.Version++;
    }

    private async Task PersistInBackgroundAsync(CacheEntry entry)
    {
        try
        {
            await PersistAsync(entry, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(ex, "Could not record the cache state of {Object}", entry.Key);
        }
    }

    private async Task PersistAsync(CacheEntry entry, CancellationToken ct)
    {
        await entry.PersistLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            EntryStateFile state;
            bool hasLayout;
            lock (_sync)
            {
                hasLayout = entry.HasLayout;
                bool allKnown = hasLayout && entry.KnownCount == entry.Layout.ChunkCount;
                state = new EntryStateFile
                {
                    Bucket = entry.Key.Bucket,
                    Name = entry.Key.Name,
                    Generation = entry.Key.Generation,
                    Size = hasLayout ? entry.Layout.ObjectSize : null,
                    ChunkSize = hasLayout ? entry.Layout.ChunkSize : null,
                    Crc32c = entry.Crc32c,
                    Md5 = entry.Md5,
                    Integrity = entry.Integrity,
                    ChunkCrcs = entry.Integrity == IntegrityState.Verified && allKnown ? (uint[])entry.ChunkCrcs.Clone() : null,
                    WholeFileLength = entry.WholeFile?.Length,
                    WholeFileWrittenTicks = entry.WholeFile?.WrittenTicks,
                };
            }
            FileWorkObserver?.Invoke(Monitor.IsEntered(_sync));
            Directory.CreateDirectory(entry.DirectoryPath);
            await state.WriteAsync(entry.StatePath, ct).ConfigureAwait(false);
            if (hasLayout)
            {
                lock (_sync)
                {
                    entry.LayoutPersisted = true;
                }
            }
        }
        finally
        {
            entry.PersistLock.Release();
        }
    }

    private void LoadExisting()
    {
        List<(ChunkSlot Slot, DateTime LastWrite)> found = [];
        foreach (string directory in Directory.EnumerateDirectories(ContentDirectory))
        {
            CacheEntry? entry = LoadEntry(directory, found);
            if (entry is not null)
            {
                _entries[entry.Key] = entry;
            }
        }
        // Oldest first, each pushed to the front: the newest ends up most recently used.
        found.Sort(static (a, b) => a.LastWrite.CompareTo(b.LastWrite));
        QueuedFileWork? startupWork;
        lock (_sync)
        {
            foreach ((ChunkSlot slot, _) in found)
            {
                slot.LruNode = _lru.AddFirst(slot);
                _sizeBytes += slot.FileBytes;
            }
            foreach (CacheEntry entry in _entries.Values)
            {
                if (entry.WholeFile is { } whole)
                {
                    entry.WholeFileNode = _wholeFiles.AddLast(entry);
                    _sizeBytes += whole.Length;
                }
            }
            EvictLocked();
            startupWork = TakeQueuedFileWorkLocked();
        }
        startupWork?.Run(this);
        _logger.LogDebug("Content cache {Directory}: {Objects} objects, {Chunks} chunks, {Bytes} bytes", ContentDirectory,
            _entries.Count, _lru.Count, _sizeBytes);
    }

    private CacheEntry? LoadEntry(string directory, List<(ChunkSlot, DateTime)> found)
    {
        EntryStateFile? state = EntryStateFile.TryRead(Path.Combine(directory, EntryStateFile.FileName));
        ObjectKey key = state is null ? default : new ObjectKey(state.Bucket, state.Name, state.Generation);
        if (state is null || key.DirectoryName() != Path.GetFileName(directory))
        {
            _logger.LogInformation("Removing unreadable cache folder {Directory}", directory);
            TryDeleteDirectory(directory);
            return null;
        }

        CacheEntry entry = new(key, directory) { Integrity = state.Integrity };
        bool hasLayout = state.Size is >= 0 && state.ChunkSize is int chunkSize
            && chunkSize >= ChunkLayout.BlockSize && chunkSize % ChunkLayout.BlockSize == 0 && chunkSize <= ChunkLayout.MaxChunkSize;
        if (hasLayout)
        {
            entry.SetLayout(new ChunkLayout(state.Size!.Value, state.ChunkSize!.Value), state.Crc32c, state.Md5);
            entry.LayoutPersisted = true;
            if (state.Integrity == IntegrityState.Verified && state.ChunkCrcs is { } crcs && crcs.Length == entry.Layout.ChunkCount)
            {
                for (int i = 0; i < crcs.Length; i++)
                {
                    entry.RecordKnown(i, crcs[i]);
                }
                entry.VerificationClaimed = true;
            }
        }

        int chunks = 0;
        foreach (string file in Directory.EnumerateFiles(directory))
        {
            string fileName = Path.GetFileName(file);
            if (fileName == EntryStateFile.FileName)
            {
                continue;
            }
            if (fileName == CacheEntry.WholeFileName && hasLayout && state.Integrity == IntegrityState.Verified
                && state.WholeFileLength is long wholeLength && wholeLength == entry.Layout.ObjectSize
                && state.WholeFileWrittenTicks is long written)
            {
                WholeFileInfo recorded = new(wholeLength, written);
                if (recorded.Describes(new FileInfo(file)))
                {
                    entry.WholeFile = recorded;
                    continue;
                }
                _logger.LogWarning("The whole-object file of {Object} changed after it was checked; it is dropped", key);
            }
            if (hasLayout && fileName.EndsWith(CacheEntry.ChunkFileExtension, StringComparison.Ordinal)
                && int.TryParse(fileName.AsSpan(0, fileName.Length - CacheEntry.ChunkFileExtension.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int index)
                && index < entry.Layout.ChunkCount && entry.ChunkPath(index) == file)
            {
                FileInfo info = new(file);
                ChunkSlot slot = entry.Slot(index);
                slot.Present = true;
                slot.FileBytes = info.Length;
                found.Add((slot, info.LastWriteTimeUtc));
                chunks++;
            }
            else
            {
                // Temporary files of an interrupted write, or chunks of an entry with no usable layout.
                TryDeleteFile(file);
            }
        }

        if (chunks == 0 && entry.Integrity == IntegrityState.Unverified)
        {
            TryDeleteDirectory(directory);
            return null;
        }
        return entry;
    }

    /// <summary>Called before every file open, deletion, rename, state write and handle close of the cache, with whether its lock is held (tests).</summary>
    internal Action<bool>? FileWorkObserver { get; set; }

    private QueuedFileWork QueueFileWorkLocked() => _queuedFileWork ??= new QueuedFileWork();

    private QueuedFileWork? TakeQueuedFileWorkLocked()
    {
        QueuedFileWork? work = _queuedFileWork;
        _queuedFileWork = null;
        return work;
    }

    /// <summary>
    /// Deletes, handle closes and state-file writes decided under the lock, run after it is released: the read path's
    /// lock is never held across a syscall. A file queued for deletion is no longer known to the cache, so nobody
    /// opens it meanwhile.
    /// </summary>
    private sealed class QueuedFileWork
    {
        public List<string> Deletes { get; } = [];
        public List<SafeFileHandle> Closes { get; } = [];
        public List<CacheEntry> Persists { get; } = [];

        public void Run(ContentCache cache)
        {
            foreach (SafeFileHandle handle in Closes)
            {
                cache.FileWorkObserver?.Invoke(Monitor.IsEntered(cache._sync));
                handle.Dispose();
            }
            foreach (string path in Deletes)
            {
                cache.TryDeleteFile(path);
            }
            foreach (CacheEntry entry in Persists)
            {
                _ = cache.PersistInBackgroundAsync(entry);
            }
        }
    }

    private void TryDeleteFile(string path)
    {
        FileWorkObserver?.Invoke(Monitor.IsEntered(_sync));
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(ex, "Could not delete cache file {Path}", path);
        }
    }

    private void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(ex, "Could not delete cache folder {Path}", path);
        }
    }
}
