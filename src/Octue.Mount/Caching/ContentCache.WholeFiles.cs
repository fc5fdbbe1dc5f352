using Microsoft.Extensions.Logging;
using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

// Part of ContentCache (one lock, _sync, guards all its state; ContentCache.cs says how):
// whole-object files: a cached object assembled into one file, claimed, adopted and dropped.
public sealed partial class ContentCache
{
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
}
