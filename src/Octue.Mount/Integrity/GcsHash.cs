using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Octue.Mount.Integrity;

/// <summary>
/// The textual forms GCS uses for object hashes: <c>crc32c</c> is base64 of the four big-endian bytes of the
/// CRC, <c>md5Hash</c> base64 of the 16-byte digest (both in object resources and in <c>x-goog-hash</c>).
/// </summary>
public static class GcsHash
{
    /// <summary>A CRC-32C in GCS's form: base64 of its four big-endian bytes (<c>"123456789"</c> gives <c>4waSgw==</c>).</summary>
    public static string ToBase64(uint crc32c)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, crc32c);
        return Convert.ToBase64String(bytes);
    }

    /// <summary>An MD5 digest in GCS's form: base64 of its 16 bytes.</summary>
    public static string ToBase64(byte[] md5)
    {
        ArgumentNullException.ThrowIfNull(md5);
        return Convert.ToBase64String(md5);
    }

    /// <summary>Parses GCS's base64 CRC32C; throws <see cref="FormatException"/> naming the value when it is not four bytes of base64.</summary>
    public static uint ParseCrc32c(string base64)
    {
        ArgumentNullException.ThrowIfNull(base64);
        Span<byte> bytes = stackalloc byte[6];
        if (!Convert.TryFromBase64String(base64, bytes, out int written) || written != 4)
        {
            throw new FormatException($"'{base64}' is not a base64 CRC32C (four big-endian bytes).");
        }
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    /// <summary>Parses GCS's base64 MD5; throws <see cref="FormatException"/> when it is not 16 bytes of base64.</summary>
    public static byte[] ParseMd5(string base64)
    {
        ArgumentNullException.ThrowIfNull(base64);
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException e)
        {
            throw new FormatException($"'{base64}' is not a base64 MD5 digest.", e);
        }
        if (bytes.Length != 16)
        {
            throw new FormatException($"'{base64}' is not a base64 MD5 digest (16 bytes).");
        }
        return bytes;
    }

    /// <summary>MD5 of <paramref name="data"/> (the framework's implementation).</summary>
    public static byte[] ComputeMd5(ReadOnlySpan<byte> data) => MD5.HashData(data);
}
