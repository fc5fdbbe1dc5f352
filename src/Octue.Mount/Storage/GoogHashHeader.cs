using System.Net.Http.Headers;
using Octue.Mount.Integrity;

namespace Octue.Mount.Storage;

/// <summary>Parses <c>x-goog-hash: crc32c=…,md5=…</c> (GCS may also send one header per hash).</summary>
internal static class GoogHashHeader
{
    public const string Name = "x-goog-hash";

    public static (uint? Crc32c, byte[]? Md5) Parse(HttpResponseHeaders headers)
    {
        uint? crc = null;
        byte[]? md5 = null;
        if (!headers.TryGetValues(Name, out IEnumerable<string>? values))
        {
            return (null, null);
        }
        foreach (string value in values)
        {
            foreach (string part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                int equals = part.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    continue;
                }
                string key = part[..equals];
                string encoded = part[(equals + 1)..];
                try
                {
                    if (key.Equals("crc32c", StringComparison.OrdinalIgnoreCase))
                    {
                        crc = GcsHash.ParseCrc32c(encoded);
                    }
                    else if (key.Equals("md5", StringComparison.OrdinalIgnoreCase))
                    {
                        md5 = GcsHash.ParseMd5(encoded);
                    }
                }
                catch (FormatException)
                {
                    // An unreadable hash is treated as absent; the object's metadata is consulted instead.
                }
            }
        }
        return (crc, md5);
    }
}
