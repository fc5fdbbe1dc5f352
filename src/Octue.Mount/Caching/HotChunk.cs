using System.Buffers;

namespace Octue.Mount.Caching;

/// <summary>
/// A chunk kept in its download buffer, so the reads waiting for it (and a sequential reader right behind the
/// download) are served from memory while the chunk is written to the disk cache. A chunk filled by a streaming
/// download (<see cref="ChunkStream"/>) is published before its first byte arrived: readers copy what has arrived
/// (<see cref="Filled"/>) and wait for more with <see cref="WhenFilledAsync"/>; <see cref="Completion"/> finishes once
/// the whole chunk is there and its CRC32C was recorded (and, for the chunk that completed the object, the object was
/// verified). It holds its share of the <see cref="MemoryBudget"/> until freed: when a reader has read its last byte,
/// when its object has no open reader, or as soon as someone waits for budget. State other than the fill progress is
/// guarded by the <see cref="ContentCache"/>'s lock.
/// </summary>
internal sealed class HotChunk
{
    private readonly MemoryBudget.Lease _lease;
    private readonly ArrayPool<byte> _pool;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Readers waiting for bytes not there yet: (bytes they need, their signal). Guarded by itself.</summary>
    private readonly List<(int Bytes, TaskCompletionSource Signal)> _waiters = [];
    /// <summary>How many are in <see cref="_waiters"/>; written under its lock, read without it by <see cref="Advance"/>.</summary>
    private int _waiting;
    private int _filled;
    private bool _freed;

    /// <summary>A chunk whose bytes are all in <paramref name="buffer"/> already (a whole-chunk download).</summary>
    public HotChunk(ChunkSlot slot, byte[] buffer, int length, MemoryBudget.Lease lease, ArrayPool<byte> pool)
        : this(slot, buffer, length, lease, pool, filled: length)
    {
        _completion.TrySetResult();
    }

    private HotChunk(ChunkSlot slot, byte[] buffer, int length, MemoryBudget.Lease lease, ArrayPool<byte> pool, int filled)
    {
        Slot = slot;
        Buffer = buffer;
        Length = length;
        _lease = lease;
        _pool = pool;
        _filled = filled;
    }

    /// <summary>A chunk about to be filled by a streaming download: readable as its bytes arrive.</summary>
    public static HotChunk ForStreaming(ChunkSlot slot, byte[] buffer, int length, MemoryBudget.Lease lease, ArrayPool<byte> pool) =>
        new(slot, buffer, length, lease, pool, filled: 0);

    public ChunkSlot Slot { get; }
    public byte[] Buffer { get; }
    public int Length { get; }

    /// <summary>Bytes of the chunk in <see cref="Buffer"/> so far, from its start.</summary>
    public int Filled => Volatile.Read(ref _filled);

    /// <summary>
    /// Completes once the download of this chunk ended: every byte arrived and was checked (CRC recorded; the object
    /// verified when this chunk completed it), or it was abandoned (its reader closed, the stream failed), in which
    /// case the chunk is no longer reachable from its slot and a waiter looks again.
    /// </summary>
    public Task Completion => _completion.Task;

    public bool IsComplete => _completion.Task.IsCompletedSuccessfully && Filled == Length;

    /// <summary>Holders: the download until its disk write finished, plus every read copying out of it now.</summary>
    public int Users { get; set; } = 1;

    /// <summary>The disk write finished (successfully, skipped or failed): the buffer may now be given back.</summary>
    public bool Stored { get; set; }

    /// <summary>A reader read the last byte before the write finished: free it right after the write.</summary>
    public bool ReleaseWhenStored { get; set; }

    /// <summary>No longer reachable from its slot; freed once <see cref="Users"/> reaches zero.</summary>
    public bool Detached { get; set; }

    public LinkedListNode<HotChunk>? Node { get; set; }

    /// <summary>Someone waits for budget: this chunk's memory should go as soon as nobody uses it.</summary>
    public bool BudgetWanted => _lease.BudgetWanted;

    /// <summary>The download appended bytes: wakes the readers they were for.</summary>
    public void Advance(int filled)
    {
        // Called for every piece a download appends, nearly always with nobody waiting: the lock only when someone is.
        // Both sides publish, with a full fence, before they look at the other's: a waiter that counted itself before
        // this fill is seen here, and one that counts itself after it sees this fill (WhenFilledAsync).
        Interlocked.Exchange(ref _filled, filled);
        if (Volatile.Read(ref _waiting) == 0)
        {
            return;
        }
        lock (_waiters)
        {
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Bytes <= filled)
                {
                    _waiters[i].Signal.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
            Volatile.Write(ref _waiting, _waiters.Count);
        }
    }

    /// <summary>Completes once <paramref name="bytes"/> bytes are there, or the download ended (either way, look again).</summary>
    public Task WhenFilledAsync(int bytes)
    {
        if (Filled >= bytes || _completion.Task.IsCompleted)
        {
            return Task.CompletedTask;
        }
        TaskCompletionSource signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            Interlocked.Exchange(ref _waiting, _waiters.Count + 1);
            if (Filled >= bytes || _completion.Task.IsCompleted)
            {
                Volatile.Write(ref _waiting, _waiters.Count);
                return Task.CompletedTask;
            }
            _waiters.Add((bytes, signal));
        }
        return signal.Task;
    }

    /// <summary>
    /// The download of this chunk ended, whole or not (a failed check condemns the whole entry through its epoch, which
    /// every reader checks); every waiter looks again.
    /// </summary>
    public void Finish()
    {
        _completion.TrySetResult();
        lock (_waiters)
        {
            foreach ((_, TaskCompletionSource signal) in _waiters)
            {
                signal.TrySetResult();
            }
            _waiters.Clear();
            Volatile.Write(ref _waiting, 0);
        }
    }

    /// <summary>Gives the buffer and the budget back once detached and unused (idempotent).</summary>
    public void FreeIfUnused()
    {
        if (Detached && Users == 0 && !_freed)
        {
            _freed = true;
            _pool.Return(Buffer);
            _lease.Dispose();
        }
    }
}
