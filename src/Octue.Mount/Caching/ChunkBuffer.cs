using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Octue.Mount.Caching;

/// <summary>
/// A chunk-sized download buffer whose first byte sits on a page boundary, in memory that never moves (the pinned
/// object heap). A chunk downloaded into it is written to its cache file straight from it, around the page cache
/// (<see cref="UnbufferedFileWriter"/>), with no copy through a bounce buffer: unbuffered writes need their memory
/// aligned. Rented from and returned to a <see cref="ChunkBufferPool"/>.
/// </summary>
internal sealed class ChunkBuffer
{
    private readonly byte[] _array;
    private readonly int _offset;

    public ChunkBuffer(int capacity)
    {
        _array = GC.AllocateUninitializedArray<byte>(capacity + UnbufferedFileWriter.Alignment, pinned: true);
        _offset = AlignedOffset(_array);
        Capacity = capacity;
    }

    /// <summary>Bytes the buffer holds.</summary>
    public int Capacity { get; }

    /// <summary>The whole buffer; slice it to the chunk's length.</summary>
    public Memory<byte> Memory => _array.AsMemory(_offset, Capacity);

    public Span<byte> Span => _array.AsSpan(_offset, Capacity);

    /// <summary>Where in a pinned array the first page-aligned byte is.</summary>
    private static unsafe int AlignedOffset(byte[] array)
    {
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        const int Mask = UnbufferedFileWriter.Alignment - 1;
        return (int)((UnbufferedFileWriter.Alignment - (address & Mask)) & Mask);
    }
}
