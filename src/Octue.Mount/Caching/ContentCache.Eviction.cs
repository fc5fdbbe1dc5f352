using Microsoft.Extensions.Logging;

namespace Octue.Mount.Caching;

// Part of ContentCache (one lock, _sync, guards all its state; ContentCache.cs says how):
// what leaves the cache: least recently used chunks beyond the capacity, a discarded chunk, an entry's chunks.
public sealed partial class ContentCache
{
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
}
