using System.Runtime.InteropServices;

namespace Octue.Mount.Linux.Protocol;

/// <summary>
/// Encodes one READDIR (<c>fuse_dirent</c>: ino, off, namelen, type, name) or READDIRPLUS (<c>fuse_direntplus</c>:
/// entry_out then dirent) record, padded to 8 bytes; a record that does not fit is not written. The wire format only:
/// <see cref="Session.DirectoryPacker"/> fills a whole reply with the VFS's entries, one record each.
/// </summary>
public static class DirentEncoder
{
    /// <summary>Size of <c>fuse_dirent</c> before the name.</summary>
    public const int DirentHeaderSize = 24;
    /// <summary>Size of <c>fuse_direntplus</c> before the name.</summary>
    public const int DirentPlusHeaderSize = FuseEntryOut.Size + DirentHeaderSize;

    public static int Align8(int length) => (length + 7) & ~7;

    public static int DirentSize(int nameLength) => Align8(DirentHeaderSize + nameLength);

    public static int DirentPlusSize(int nameLength) => Align8(DirentPlusHeaderSize + nameLength);

    /// <summary>Writes one dirent; returns the bytes used, or 0 when it does not fit in <paramref name="destination"/>.</summary>
    public static int TryWriteDirent(Span<byte> destination, ulong ino, ulong nextOffset, uint type, ReadOnlySpan<byte> name)
    {
        var size = DirentSize(name.Length);
        if (size > destination.Length)
            return 0;
        WriteDirentCore(destination, ino, nextOffset, type, name, size);
        return size;
    }

    /// <summary>Writes one direntplus; returns the bytes used, or 0 when it does not fit.</summary>
    public static int TryWriteDirentPlus(Span<byte> destination, in FuseEntryOut entry, ulong nextOffset, uint type, ReadOnlySpan<byte> name)
    {
        var size = DirentPlusSize(name.Length);
        if (size > destination.Length)
            return 0;
        MemoryMarshal.Write(destination, in entry);
        WriteDirentCore(destination[FuseEntryOut.Size..], entry.Attr.Ino, nextOffset, type, name, size - FuseEntryOut.Size);
        return size;
    }

    private static void WriteDirentCore(Span<byte> destination, ulong ino, ulong nextOffset, uint type, ReadOnlySpan<byte> name, int paddedSize)
    {
        MemoryMarshal.Write(destination, in ino);
        MemoryMarshal.Write(destination[8..], in nextOffset);
        var nameLength = (uint)name.Length;
        MemoryMarshal.Write(destination[16..], in nameLength);
        MemoryMarshal.Write(destination[20..], in type);
        name.CopyTo(destination[DirentHeaderSize..]);
        destination[(DirentHeaderSize + name.Length)..paddedSize].Clear();
    }
}
