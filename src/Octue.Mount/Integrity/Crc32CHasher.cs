namespace Octue.Mount.Integrity;

/// <summary>Incremental CRC-32C: feed the bytes in pieces, read the CRC of everything so far.</summary>
public sealed class Crc32CHasher
{
    /// <summary>CRC-32C of every byte appended so far (0 for none).</summary>
    public uint Value { get; private set; }

    /// <summary>How many bytes have been appended.</summary>
    public long Length { get; private set; }

    /// <summary>Adds the next piece of the content.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        Value = Crc32C.Append(Value, data);
        Length += data.Length;
    }

    /// <summary>Starts again from no bytes.</summary>
    public void Reset()
    {
        Value = 0;
        Length = 0;
    }
}
