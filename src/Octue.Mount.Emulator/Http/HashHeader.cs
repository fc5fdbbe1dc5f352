using System.Buffers.Binary;
using Microsoft.AspNetCore.Http;

namespace Octue.Mount.Emulator;

/// <summary>Hashes a client declares for the bytes it sends; checked when the object is finalized.</summary>
internal readonly record struct ClientHashes(uint? Crc32c, byte[]? Md5);

/// <summary>The <c>x-goog-hash</c> header (<c>crc32c=BASE64,md5=BASE64</c>) and GCS's base64 hash forms.</summary>
internal static class HashHeader
{
    public const string Name = "x-goog-hash";

    public static string Crc32cToBase64(uint crc)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, crc);
        return Convert.ToBase64String(bytes);
    }

    public static uint ParseCrc32c(string base64)
    {
        Span<byte> bytes = stackalloc byte[8];
        if (!Convert.TryFromBase64String(base64, bytes, out var written) || written != 4)
            throw GcsException.BadRequest($"Invalid crc32c value '{base64}': expected the base64 of 4 big-endian bytes.");
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    public static byte[] ParseMd5(string base64)
    {
        var bytes = new byte[24];
        if (!Convert.TryFromBase64String(base64, bytes, out var written) || written != 16)
            throw GcsException.BadRequest($"Invalid md5Hash value '{base64}': expected the base64 of 16 bytes.");
        return bytes[..16];
    }

    public static ClientHashes Read(HttpRequest request)
    {
        uint? crc = null;
        byte[]? md5 = null;
        foreach (var header in request.Headers[Name])
        {
            if (header is null)
                continue;
            foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = part.IndexOf('=');
                if (equals <= 0)
                    continue;
                var algorithm = part[..equals];
                var value = part[(equals + 1)..];
                if (algorithm.Equals("crc32c", StringComparison.OrdinalIgnoreCase))
                    crc = ParseCrc32c(value);
                else if (algorithm.Equals("md5", StringComparison.OrdinalIgnoreCase))
                    md5 = ParseMd5(value);
            }
        }
        return new ClientHashes(crc, md5);
    }
}
