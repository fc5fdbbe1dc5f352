namespace Octue.Mount.Caching;

// Part of ContentCache (one lock, _sync, guards all its state; ContentCache.cs says how):
// storing a downloaded chunk: its file written beside its block CRC32Cs, then made present.
public sealed partial class ContentCache
{
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
}
