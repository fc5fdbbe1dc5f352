using Octue.Mount.Integrity;
using Microsoft.AspNetCore.Http;

namespace Octue.Mount.Emulator;

/// <summary>Hashes a client declares for the bytes it sends; checked when the object is finalized.</summary>
internal readonly record struct ClientHashes(uint? Crc32c, byte[]? Md5);

/// <summary>The <c>x-goog-hash</c> header (<c>crc32c=BASE64,md5=BASE64</c>).</summary>
internal static class HashHeader
{
    public const string Name = "x-goog-hash";

    /// <summary>Parses a base64 CRC32C from a request; a malformed one is the client's error (400).</summary>
    public static uint ParseCrc32c(string base64)
    {
        try
        {
            return GcsHash.ParseCrc32c(base64);
        }
        catch (FormatException e)
        {
            throw GcsException.BadRequest($"Invalid crc32c: {e.Message}");
        }
    }

    /// <summary>Parses a base64 MD5 from a request; a malformed one is the client's error (400).</summary>
    public static byte[] ParseMd5(string base64)
    {
        try
        {
            return GcsHash.ParseMd5(base64);
        }
        catch (FormatException e)
        {
            throw GcsException.BadRequest($"Invalid md5Hash: {e.Message}");
        }
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
