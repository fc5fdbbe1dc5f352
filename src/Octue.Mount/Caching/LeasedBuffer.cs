using System.Buffers;

namespace Octue.Mount.Caching;

/// <summary>
/// Bytes rented from the shared pool that count against a <see cref="MemoryBudget"/> until they are released: the
/// one owner of a whole object's buffer, whichever of <see cref="WholeObject"/> or <see cref="WholeObjectReader"/>
/// holds it last. <see cref="Release"/> returns the buffer and the lease once, however often it is called.
/// </summary>
internal sealed class LeasedBuffer(byte[] bytes, int length, MemoryBudget.Lease? lease)
{
    private byte[]? _bytes = bytes;
    private MemoryBudget.Lease? _lease = lease;

    /// <summary>How many of the buffer's bytes are the content.</summary>
    public int Length { get; } = length;

    /// <summary>The buffer, or null once released.</summary>
    public byte[]? Current => Volatile.Read(ref _bytes);

    public void Release()
    {
        if (Interlocked.Exchange(ref _bytes, null) is { } rented)
        {
            ArrayPool<byte>.Shared.Return(rented);
            Interlocked.Exchange(ref _lease, null)?.Dispose();
        }
    }
}
