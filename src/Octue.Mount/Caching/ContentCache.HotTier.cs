namespace Octue.Mount.Caching;

// Part of ContentCache (one lock, _sync, guards all its state; ContentCache.cs says how):
// the memory tier: chunks held in memory while they are downloaded and stored, read from there, given back.
public sealed partial class ContentCache
{
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
}
