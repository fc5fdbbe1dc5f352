using System.Diagnostics.CodeAnalysis;

namespace Octue.Mount.Caching;

// Part of ContentCache (one lock, _sync, guards all its state; ContentCache.cs says how):
// the claim of a chunk's download: one fetch per chunk, whoever else needs it waits for it.
public sealed partial class ContentCache
{
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
}
