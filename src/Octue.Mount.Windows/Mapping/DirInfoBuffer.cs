using System.Runtime.InteropServices;
using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows.Mapping;

/// <summary>
/// Managed equivalent of <c>FspFileSystemAddDirInfo</c>: appends <c>FSP_FSCTL_DIR_INFO</c> records (104-byte header
/// plus the unterminated UTF-16 name, each padded to 8 bytes) to the ReadDirectory buffer, and the 2-byte zero end
/// marker once the listing is complete. A record that does not fit is not written and the caller stops: WinFsp then
/// asks again with the last name written as its marker.
/// </summary>
internal unsafe ref struct DirInfoBuffer
{
    public const int HeaderSize = 104;
    private readonly byte* _buffer;
    private readonly uint _length;
    private uint _used;

    public DirInfoBuffer(void* buffer, uint length)
    {
        _buffer = (byte*)buffer;
        _length = length;
        _used = 0;
    }

    public readonly uint BytesTransferred => _used;

    /// <summary>Appends one entry; false when the buffer has no room for it (nothing is written then).</summary>
    public bool TryAdd(string name, in FspFileInfo info)
    {
        int recordSize = HeaderSize + name.Length * sizeof(char);
        if (recordSize > ushort.MaxValue)
            throw new ArgumentException("A directory entry name is too long for FSP_FSCTL_DIR_INFO.", nameof(name));
        uint padded = (uint)((recordSize + 7) & ~7);
        if ((ulong)_used + padded > _length)
            return false;

        byte* record = _buffer + _used;
        new Span<byte>(record, HeaderSize).Clear();
        var header = (FspDirInfo*)record;
        header->Size = (ushort)recordSize;
        header->FileInfo = info;
        name.AsSpan().CopyTo(new Span<char>(record + HeaderSize, name.Length));
        // Padding bytes are not part of the record; zero them so no stale memory leaves the process.
        new Span<byte>(record + recordSize, (int)(padded - recordSize)).Clear();
        _used += padded;
        return true;
    }

    /// <summary>Writes the end-of-listing marker (a zero Size field); false when it does not fit.</summary>
    public bool TryAddEnd()
    {
        if ((ulong)_used + sizeof(ushort) > _length)
            return false;
        *(ushort*)(_buffer + _used) = 0;
        _used += sizeof(ushort);
        return true;
    }

    /// <summary>Reads back the records of a filled buffer (used by tests and diagnostics).</summary>
    public static List<(string Name, FspFileInfo Info)> Parse(ReadOnlySpan<byte> buffer, out bool sawEnd)
    {
        var entries = new List<(string, FspFileInfo)>();
        int offset = 0;
        sawEnd = false;
        while (offset + sizeof(ushort) <= buffer.Length)
        {
            ushort size = MemoryMarshal.Read<ushort>(buffer[offset..]);
            if (size == 0)
            {
                sawEnd = true;
                break;
            }
            if (size < HeaderSize || offset + size > buffer.Length)
                throw new InvalidDataException($"Malformed FSP_FSCTL_DIR_INFO record at offset {offset} (size {size}).");
            FspFileInfo info = MemoryMarshal.Read<FspFileInfo>(buffer.Slice(offset + 8, sizeof(FspFileInfo)));
            string name = new(MemoryMarshal.Cast<byte, char>(buffer.Slice(offset + HeaderSize, size - HeaderSize)));
            entries.Add((name, info));
            offset += (size + 7) & ~7;
        }
        return entries;
    }
}
