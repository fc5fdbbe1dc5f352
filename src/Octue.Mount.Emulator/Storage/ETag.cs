namespace Octue.Mount.Emulator;

/// <summary>
/// An object's ETag, shaped like GCS's: base64 of the generation and metageneration as protobuf varints
/// (fields 1 and 2), so it changes with every write and every metadata change.
/// </summary>
internal static class ETag
{
    public static string Of(StoredObject obj)
    {
        Span<byte> buffer = stackalloc byte[24];
        var length = 0;
        buffer[length++] = 0x08;
        length += WriteVarint(buffer[length..], (ulong)obj.Generation);
        buffer[length++] = 0x10;
        length += WriteVarint(buffer[length..], (ulong)obj.Metageneration);
        return Convert.ToBase64String(buffer[..length]);
    }

    private static int WriteVarint(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }
}
