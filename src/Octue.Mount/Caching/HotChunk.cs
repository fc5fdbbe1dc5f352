using System.Buffers;

namespace Octue.Mount.Caching;

/// <summary>
/// A downloaded chunk kept in its download buffer, so the reads waiting for it (and a sequential reader right behind
/// the read-ahead) are served from memory while the chunk is written to the disk cache. It holds its share of the
/// <see cref="MemoryBudget"/> until freed: when a reader has read its last byte, when its object has no open
/// reader, or as soon as someone waits for budget. State is guarded by the <see cref="ContentCache"/>'s lock.
/// </summary>
internal sealed class HotChunk(ChunkSlot slot, byte[] buffer, int length, MemoryBudget.Lease lease, ArrayPool<byte> pool)
{
    public ChunkSlot Slot { get; } = slot;
    public byte[] Buffer { get; } = buffer;
    public int Length { get; } = length;

    /// <summary>Holders: the download until its disk write finished, plus every read copying out of it now.</summary>
    public int Users { get; set; } = 1;

    /// <summary>The disk write finished (successfully or not): the buffer may now be given back.</summary>
    public bool Stored { get; set; }

    /// <summary>A reader read the last byte before the write finished: free it right after the write.</summary>
    public bool ReleaseWhenStored { get; set; }

    /// <summary>No longer reachable from its slot; freed once <see cref="Users"/> reaches zero.</summary>
    public bool Detached { get; set; }

    public LinkedListNode<HotChunk>? Node { get; set; }

    /// <summary>Someone waits for budget: this chunk's memory should go as soon as nobody uses it.</summary>
    public bool BudgetWanted => lease.BudgetWanted;

    private bool _freed;

    /// <summary>Gives the buffer and the budget back once detached and unused (idempotent).</summary>
    public void FreeIfUnused()
    {
        if (Detached && Users == 0 && !_freed)
        {
            _freed = true;
            pool.Return(Buffer);
            lease.Dispose();
        }
    }
}
