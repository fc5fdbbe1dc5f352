using System.Globalization;
using Microsoft.Extensions.Logging;
using Octue.Mount.Integrity;

namespace Octue.Mount.Caching;

// Part of ContentCache (one lock, _sync, guards all its state; ContentCache.cs says how):
// the cache on disk across mounts: an entry's state.json written in the background, and the entries a previous mount left loaded at start.
public sealed partial class ContentCache
{
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
}
