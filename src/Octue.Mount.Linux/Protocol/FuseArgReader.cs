using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Octue.Mount.Linux.Protocol;

/// <summary>
/// Reads a request's arguments by fixed struct sizes and NUL terminators, never as "the rest of the buffer".
/// Every read checks the length first, so a short or malformed request is reported, not read past.
/// </summary>
public ref struct FuseArgReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ReadOnlySpan<byte> _args;

    public FuseArgReader(ReadOnlySpan<byte> args)
    {
        _args = args;
        Position = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public int Position { get; private set; }

    public readonly int Remaining => _args.Length - Position;

    public bool TryRead<T>(out T value) where T : unmanaged
    {
        var size = Unsafe.SizeOf<T>();
        if (Remaining < size)
        {
            value = default;
            return false;
        }
        value = MemoryMarshal.Read<T>(_args.Slice(Position, size));
        Position += size;
        return true;
    }

    /// <summary>Reads a struct that the kernel sends in <paramref name="wireSize"/> bytes (≥ the fields we use).</summary>
    public bool TryRead<T>(int wireSize, out T value) where T : unmanaged
    {
        var size = Unsafe.SizeOf<T>();
        if (wireSize < size || Remaining < wireSize)
        {
            value = default;
            return false;
        }
        value = MemoryMarshal.Read<T>(_args.Slice(Position, size));
        Position += wireSize;
        return true;
    }

    /// <summary>Reads a NUL-terminated name as raw bytes (without the NUL).</summary>
    public bool TryReadNameBytes(out ReadOnlySpan<byte> name)
    {
        var rest = _args[Position..];
        var end = rest.IndexOf((byte)0);
        if (end < 0)
        {
            name = default;
            return false;
        }
        name = rest[..end];
        Position += end + 1;
        return true;
    }

    /// <summary>Reads a NUL-terminated UTF-8 name; false when unterminated or not valid UTF-8.</summary>
    public bool TryReadName(out string name)
    {
        name = string.Empty;
        if (!TryReadNameBytes(out var bytes))
            return false;
        try
        {
            name = StrictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>Takes exactly <paramref name="count"/> bytes.</summary>
    public bool TryReadBytes(int count, out ReadOnlySpan<byte> bytes)
    {
        if (count < 0 || Remaining < count)
        {
            bytes = default;
            return false;
        }
        bytes = _args.Slice(Position, count);
        Position += count;
        return true;
    }
}
