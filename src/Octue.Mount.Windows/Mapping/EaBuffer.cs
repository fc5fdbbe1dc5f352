using System.Buffers.Binary;
using System.Text;

namespace Octue.Mount.Windows.Mapping;

/// <summary>One extended attribute: an ASCII name and a value (an empty value in a set request means "remove").</summary>
internal readonly record struct ExtendedAttribute(string Name, byte[] Value, byte Flags = 0);

/// <summary>
/// Encoding and decoding of <c>FILE_FULL_EA_INFORMATION</c> chains: <c>u32 NextEntryOffset; u8 Flags; u8 EaNameLength;
/// u16 EaValueLength; char EaName[EaNameLength + 1 (NUL)]; u8 Value[EaValueLength]</c>, each entry starting on a 4-byte
/// boundary, the last one with NextEntryOffset 0. <see cref="TryAdd"/> is the managed equivalent of
/// <c>FspFileSystemAddEa</c> and <see cref="AddEnd"/> of its NULL (end) call.
/// </summary>
internal unsafe ref struct EaBuffer
{
    public const int HeaderSize = 8;
    public const int MaxNameLength = 255;
    public const int MaxValueLength = ushort.MaxValue;
    private readonly byte* _buffer;
    private readonly uint _length;
    private uint _used;
    private int _lastEntry;

    public EaBuffer(void* buffer, uint length)
    {
        _buffer = (byte*)buffer;
        _length = length;
        _used = 0;
        _lastEntry = -1;
    }

    public readonly uint BytesTransferred => _used;

    /// <summary>The size NTFS (and WinFsp) report for one EA: 5 + name length + value length.</summary>
    public static uint PackedSize(int nameLength, int valueLength) => (uint)(5 + nameLength + valueLength);

    /// <summary>Appends an EA; false when it does not fit (nothing is written then).</summary>
    public bool TryAdd(string name, ReadOnlySpan<byte> value, byte flags = 0)
    {
        if (name.Length is 0 or > MaxNameLength || !Ascii.IsValid(name))
            throw new ArgumentException($"EA name '{name}' is not 1-255 ASCII characters.", nameof(name));
        if (value.Length > MaxValueLength)
            throw new ArgumentException($"EA value of '{name}' is longer than {MaxValueLength} bytes.", nameof(value));

        uint start = (_used + 3) & ~3u;
        uint entryLength = (uint)(HeaderSize + name.Length + 1 + value.Length);
        if ((ulong)start + entryLength > _length)
            return false;

        byte* entry = _buffer + start;
        new Span<byte>(_buffer + _used, (int)(start - _used)).Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(entry, 4), (entryLength + 3) & ~3u);
        entry[4] = flags;
        entry[5] = (byte)name.Length;
        BinaryPrimitives.WriteUInt16LittleEndian(new Span<byte>(entry + 6, 2), (ushort)value.Length);
        Encoding.ASCII.GetBytes(name, new Span<byte>(entry + HeaderSize, name.Length));
        entry[HeaderSize + name.Length] = 0;
        value.CopyTo(new Span<byte>(entry + HeaderSize + name.Length + 1, value.Length));
        _used = start + entryLength;
        _lastEntry = (int)start;
        return true;
    }

    /// <summary>Terminates the chain: the last entry's NextEntryOffset becomes 0.</summary>
    public void AddEnd()
    {
        if (_lastEntry >= 0)
            BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(_buffer + _lastEntry, 4), 0);
    }

    /// <summary>
    /// Decodes a chain; throws <see cref="InvalidDataException"/> when an entry runs past the buffer, a name is not
    /// NUL-terminated ASCII, or the offsets do not advance.
    /// </summary>
    public static List<ExtendedAttribute> Parse(ReadOnlySpan<byte> buffer)
    {
        var result = new List<ExtendedAttribute>();
        int offset = 0;
        while (true)
        {
            if (offset + HeaderSize > buffer.Length)
                throw new InvalidDataException($"EA entry at offset {offset} runs past the {buffer.Length}-byte buffer.");
            ReadOnlySpan<byte> entry = buffer[offset..];
            uint next = BinaryPrimitives.ReadUInt32LittleEndian(entry);
            byte flags = entry[4];
            int nameLength = entry[5];
            int valueLength = BinaryPrimitives.ReadUInt16LittleEndian(entry[6..]);
            int total = HeaderSize + nameLength + 1 + valueLength;
            if (total > entry.Length)
                throw new InvalidDataException($"EA entry at offset {offset} runs past the {buffer.Length}-byte buffer.");
            ReadOnlySpan<byte> nameBytes = entry.Slice(HeaderSize, nameLength);
            if (nameLength == 0 || entry[HeaderSize + nameLength] != 0 || !Ascii.IsValid(nameBytes) || nameBytes.Contains((byte)0))
                throw new InvalidDataException($"EA entry at offset {offset} has an invalid name.");
            string name = Encoding.ASCII.GetString(nameBytes);
            byte[] value = entry.Slice(HeaderSize + nameLength + 1, valueLength).ToArray();
            result.Add(new ExtendedAttribute(name, value, flags));
            if (next == 0)
                return result;
            if (next < total || next > int.MaxValue - offset)
                throw new InvalidDataException($"EA entry at offset {offset} has NextEntryOffset {next}, inside itself.");
            offset += (int)next;
        }
    }
}
