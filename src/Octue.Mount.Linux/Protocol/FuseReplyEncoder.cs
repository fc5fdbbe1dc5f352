using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Octue.Mount.Linux.Protocol;

/// <summary>
/// Lays out replies and notifications: a <see cref="FuseOutHeader"/> whose length equals the bytes that follow
/// it plus its own 16, then the payload. Errors are exactly 16 bytes and carry a negative errno.
/// </summary>
public static class FuseReplyEncoder
{
    /// <summary>The largest errno the kernel accepts (it refuses error ≤ -1000).</summary>
    private const int MaxErrno = 999;

    public static void WriteHeader(Span<byte> destination, int totalLength, int error, ulong unique)
    {
        var header = new FuseOutHeader { Length = (uint)totalLength, Error = error, Unique = unique };
        MemoryMarshal.Write(destination, in header);
    }

    /// <summary>Encodes an error reply (16 bytes). <paramref name="errno"/> is positive; it is sent negated.</summary>
    public static int WriteError(Span<byte> destination, ulong unique, int errno)
    {
        if (errno <= 0 || errno > MaxErrno)
            throw new ArgumentOutOfRangeException(nameof(errno), errno, "An errno is positive and below 1000.");
        WriteHeader(destination, FuseOutHeader.Size, -errno, unique);
        return FuseOutHeader.Size;
    }

    /// <summary>Encodes a success reply with no payload (16 bytes).</summary>
    public static int WriteEmpty(Span<byte> destination, ulong unique)
    {
        WriteHeader(destination, FuseOutHeader.Size, 0, unique);
        return FuseOutHeader.Size;
    }

    /// <summary>Encodes a success reply whose payload is one struct.</summary>
    public static int WriteStruct<T>(Span<byte> destination, ulong unique, in T payload) where T : unmanaged
    {
        var total = FuseOutHeader.Size + Unsafe.SizeOf<T>();
        WriteHeader(destination, total, 0, unique);
        MemoryMarshal.Write(destination[FuseOutHeader.Size..], in payload);
        return total;
    }

    /// <summary>Encodes a success reply whose payload is two structs back to back (CREATE: entry + open).</summary>
    public static int WriteStructs<T1, T2>(Span<byte> destination, ulong unique, in T1 first, in T2 second)
        where T1 : unmanaged where T2 : unmanaged
    {
        var firstSize = Unsafe.SizeOf<T1>();
        var total = FuseOutHeader.Size + firstSize + Unsafe.SizeOf<T2>();
        WriteHeader(destination, total, 0, unique);
        MemoryMarshal.Write(destination[FuseOutHeader.Size..], in first);
        MemoryMarshal.Write(destination[(FuseOutHeader.Size + firstSize)..], in second);
        return total;
    }

    /// <summary>Encodes a success reply whose payload (already in place after the header) is <paramref name="payloadLength"/> bytes.</summary>
    public static int WriteDataHeader(Span<byte> destination, ulong unique, int payloadLength)
    {
        var total = FuseOutHeader.Size + payloadLength;
        WriteHeader(destination, total, 0, unique);
        return total;
    }

    /// <summary>Encodes an INVAL_INODE notification (16 + 24 bytes).</summary>
    public static int WriteInvalInode(Span<byte> destination, ulong ino, long offset, long length)
    {
        var payload = new FuseNotifyInvalInodeOut { Ino = ino, Offset = offset, Length = length };
        var total = FuseOutHeader.Size + FuseNotifyInvalInodeOut.Size;
        WriteHeader(destination, total, (int)FuseNotifyCode.InvalInode, 0);
        MemoryMarshal.Write(destination[FuseOutHeader.Size..], in payload);
        return total;
    }

    /// <summary>Encodes an INVAL_ENTRY notification (16 + 16 + name + NUL bytes).</summary>
    public static int WriteInvalEntry(Span<byte> destination, ulong parent, ReadOnlySpan<byte> name, uint flags = 0)
    {
        var payload = new FuseNotifyInvalEntryOut { Parent = parent, NameLength = (uint)name.Length, Flags = flags };
        var total = FuseOutHeader.Size + FuseNotifyInvalEntryOut.Size + name.Length + 1;
        WriteHeader(destination, total, (int)FuseNotifyCode.InvalEntry, 0);
        MemoryMarshal.Write(destination[FuseOutHeader.Size..], in payload);
        var nameStart = FuseOutHeader.Size + FuseNotifyInvalEntryOut.Size;
        name.CopyTo(destination[nameStart..]);
        destination[nameStart + name.Length] = 0;
        return total;
    }
}
