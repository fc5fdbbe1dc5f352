using System.Collections.Concurrent;

namespace Octue.Mount.Linux.Session;

/// <summary>
/// Pinned request buffers (max_write plus room for the headers). A reader rents one per request and the request's
/// handler returns it when done, so WRITE payloads are handed to the file system without a copy.
/// </summary>
internal sealed class RequestBufferPool
{
    private readonly ConcurrentQueue<byte[]> _free = new();
    private readonly int _maxRetained;
    private int _retained;

    public RequestBufferPool(int bufferSize, int maxRetained)
    {
        BufferSize = bufferSize;
        _maxRetained = maxRetained;
    }

    public int BufferSize { get; }

    public byte[] Rent()
    {
        if (_free.TryDequeue(out var buffer))
        {
            Interlocked.Decrement(ref _retained);
            return buffer;
        }
        return GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
    }

    public void Return(byte[] buffer)
    {
        if (Interlocked.Increment(ref _retained) <= _maxRetained)
            _free.Enqueue(buffer);
        else
            Interlocked.Decrement(ref _retained);
    }
}
