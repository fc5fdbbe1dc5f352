using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Octue.Mount.Emulator;

/// <summary>
/// Maps a request onto an operation. It reads the raw request target: object names arrive percent-encoded with
/// '/' as %2F, which the server's decoded path cannot tell apart from a real '/'. Each path segment is decoded
/// on its own, after splitting.
/// </summary>
internal static class RouteParser
{
    public static Route Parse(HttpContext http)
    {
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.Value ?? "/";
        return Parse(http.Request.Method, PathOf(raw), http.Request.Query.ContainsKey("upload_id"),
            string.Equals(http.Request.Query["alt"], "media", StringComparison.Ordinal));
    }

    /// <summary>The path part of a request target ("origin-form", or "absolute-form" as proxies send).</summary>
    public static string PathOf(string rawTarget)
    {
        var path = rawTarget;
        var query = path.IndexOf('?');
        if (query >= 0)
            path = path[..query];
        if (path.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || path.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var afterScheme = path.IndexOf("//", StringComparison.Ordinal) + 2;
            var slash = path.IndexOf('/', afterScheme);
            path = slash < 0 ? "/" : path[slash..];
        }
        return path;
    }

    public static Route Parse(string method, string path, bool hasUploadId, bool altMedia)
    {
        var segments = Segments(path);
        int start;
        var upload = false;
        var download = false;
        if (StartsWith(segments, "storage", "v1"))
        {
            start = 2;
        }
        else if (StartsWith(segments, "upload", "storage", "v1"))
        {
            start = 3;
            upload = true;
        }
        else if (StartsWith(segments, "download", "storage", "v1"))
        {
            start = 3;
            download = true;
        }
        else if (segments.Length == 3 && StartsWith(segments, "emulator", "v1"))
        {
            return segments[2] switch
            {
                "faults" => new Route(Operation.ControlFaults),
                "requests" => new Route(Operation.ControlRequests),
                _ => new Route(Operation.Unknown),
            };
        }
        else if (StartsWith(segments, "emulator", "v1"))
        {
            return new Route(Operation.Unknown);
        }
        else
        {
            return ParseXmlPath(method, path);
        }

        var rest = segments[start..];
        if (rest.Length == 0 || rest[0] != "b")
            return new Route(Operation.Unknown);

        if (upload)
        {
            if (rest.Length != 3 || rest[2] != "o")
                return new Route(Operation.Unknown);
            // On a session URI (upload_id), PUT and POST both carry a chunk or a status query: the .NET and Node.js
            // clients PUT, Go's client library (which rclone uses) POSTs. A POST without upload_id opens an upload.
            return method switch
            {
                "PUT" or "POST" when hasUploadId => new Route(Operation.UploadChunk, rest[1]),
                "POST" => new Route(Operation.UploadStart, rest[1]),
                "DELETE" when hasUploadId => new Route(Operation.UploadCancel, rest[1]),
                _ => new Route(Operation.Unknown),
            };
        }

        switch (rest.Length)
        {
            case 1:
                return method switch
                {
                    "GET" => new Route(Operation.ListBuckets),
                    "POST" => new Route(Operation.InsertBucket),
                    _ => new Route(Operation.Unknown),
                };
            case 2:
                return method switch
                {
                    "GET" => new Route(Operation.GetBucket, rest[1]),
                    "DELETE" => new Route(Operation.DeleteBucket, rest[1]),
                    _ => new Route(Operation.Unknown),
                };
        }

        if (rest[2] != "o")
            return new Route(Operation.Unknown);
        var bucket = rest[1];
        if (rest.Length == 3)
            return method == "GET" ? new Route(Operation.ListObjects, bucket) : new Route(Operation.Unknown);

        var name = rest[3];
        if (rest.Length == 4)
        {
            return method switch
            {
                "GET" => new Route(download || altMedia ? Operation.Download : Operation.GetObject, bucket, name),
                "PATCH" => new Route(Operation.PatchObject, bucket, name),
                "PUT" => new Route(Operation.UpdateObject, bucket, name),
                "DELETE" => new Route(Operation.DeleteObject, bucket, name),
                _ => new Route(Operation.Unknown),
            };
        }
        if (rest.Length == 5 && rest[4] == "compose" && method == "POST")
            return new Route(Operation.Compose, bucket, name);
        if (rest.Length == 9 && method == "POST" && rest[5] == "b" && rest[7] == "o")
        {
            if (rest[4] == "rewriteTo")
                return new Route(Operation.Rewrite, bucket, name, rest[6], rest[8]);
            if (rest[4] == "copyTo")
                return new Route(Operation.CopyTo, bucket, name, rest[6], rest[8]);
        }
        return new Route(Operation.Unknown);
    }

    /// <summary>
    /// The XML API's object path, <c>/BUCKET/OBJECT</c>, as Go's client library reads every object (GET with a
    /// <c>Range</c>, and HEAD). Reached only when the path is none of the JSON API's and the control endpoint's roots
    /// (<c>/storage/v1/</c>, <c>/upload/storage/v1/</c>, <c>/download/storage/v1/</c>, <c>/emulator/v1/</c>), so it
    /// never shadows them; the price is that objects named <c>v1/...</c> in a bucket named <c>storage</c> or
    /// <c>emulator</c> cannot be read this way (the JSON API still reads them). The object name is everything after
    /// the bucket's slash, percent-decoded as a whole, so a trailing slash (a folder placeholder) and empty segments
    /// are kept. Bucket listings and writes by this path are not served.
    /// </summary>
    private static Route ParseXmlPath(string method, string path)
    {
        var trimmed = path.TrimStart('/');
        var slash = trimmed.IndexOf('/');
        if (slash <= 0 || slash == trimmed.Length - 1)
            return new Route(Operation.Unknown);
        var bucket = Uri.UnescapeDataString(trimmed[..slash]);
        var name = Uri.UnescapeDataString(trimmed[(slash + 1)..]);
        return method switch
        {
            "GET" => new Route(Operation.XmlGetObject, bucket, name),
            "HEAD" => new Route(Operation.XmlHeadObject, bucket, name),
            _ => new Route(Operation.Unknown),
        };
    }

    private static string[] Segments(string path)
    {
        var trimmed = path.AsSpan().TrimStart('/');
        if (trimmed.EndsWith("/"))
            trimmed = trimmed[..^1];
        if (trimmed.IsEmpty)
            return [];
        var parts = trimmed.ToString().Split('/');
        for (var i = 0; i < parts.Length; i++)
            parts[i] = Uri.UnescapeDataString(parts[i]);
        return parts;
    }

    private static bool StartsWith(string[] segments, params ReadOnlySpan<string> expected)
    {
        if (segments.Length < expected.Length)
            return false;
        for (var i = 0; i < expected.Length; i++)
        {
            if (segments[i] != expected[i])
                return false;
        }
        return true;
    }
}
