using System.Collections.Concurrent;

namespace Octue.Mount.Caching;

/// <summary>
/// Keeps idle <see cref="ChunkBuffer"/>s of one chunk size for reuse, at most <c>maxIdle</c> of them (what the memory
/// budget lets be in flight), so no chunk download allocates once the pool is warm and idle buffers never outgrow
/// the budget either. Every buffer holds a whole chunk: the last, shorter chunk of an object uses the start of one.
/// </summary>
internal sealed class ChunkBufferPool(int chunkSize, int maxIdle)
{
    private readonly ConcurrentBag<ChunkBuffer> _idle = [];
    private int _idleCount;

    public int ChunkSize => chunkSize;

    /// <summary>A buffer of at least <paramref name="length"/> bytes (at most one chunk).</summary>
    public ChunkBuffer Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, chunkSize);
        if (_idle.TryTake(out ChunkBuffer? buffer))
        {
            Interlocked.Decrement(ref _idleCount);
            return buffer;
        }
        return new ChunkBuffer(chunkSize);
    }

    public void Return(ChunkBuffer buffer)
    {
        if (buffer.Capacity == chunkSize && Interlocked.Increment(ref _idleCount) <= maxIdle)
        {
            _idle.Add(buffer);
            return;
        }
        if (buffer.Capacity == chunkSize)
        {
            Interlocked.Decrement(ref _idleCount);
        }
    }
}
