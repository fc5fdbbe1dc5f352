using System.IO.Compression;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Octue.Mount.Emulator;

/// <summary>Reads request bodies, undoing <c>Content-Encoding: gzip</c> (the .NET client compresses its JSON).</summary>
internal static class RequestBody
{
    private const int SegmentSize = 1024 * 1024;

    public static bool IsGzip(HttpRequest request) =>
        request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase);

    public static Stream Open(HttpRequest request) =>
        IsGzip(request) ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true) : request.Body;

    /// <summary>The declared length of the (decoded) body, when the headers say it.</summary>
    public static long? DeclaredLength(HttpRequest request) => IsGzip(request) ? null : request.ContentLength;

    public static async Task<JsonDocument?> ReadJsonAsync(HttpRequest request, CancellationToken ct)
    {
        var bytes = await ReadAllAsync(Open(request), DeclaredLength(request), ct).ConfigureAwait(false);
        if (bytes.Length == 0)
            return null;
        try
        {
            return JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw GcsException.BadRequest($"The request body is not valid JSON: {e.Message}");
        }
    }

    /// <summary>Reads a whole stream into one array (at most the largest array).</summary>
    public static Task<byte[]> ReadAllAsync(Stream stream, long? length, CancellationToken ct) =>
        ReadAllAsync(stream, length, ct, Array.MaxLength);

    /// <summary>
    /// Reads a whole stream into one array: exactly sized when the length is known, else by segments. A body over
    /// <paramref name="maxLength"/> bytes is refused with 400 before it is held.
    /// </summary>
    public static async Task<byte[]> ReadAllAsync(Stream stream, long? length, CancellationToken ct, long maxLength)
    {
        if (length is { } known)
        {
            if (known > maxLength)
                throw GcsException.BadRequest($"A body of {known} bytes is more than the {maxLength} bytes this emulator accepts in one object.");
            var data = GC.AllocateUninitializedArray<byte>((int)known);
            await stream.ReadExactlyAsync(data, ct).ConfigureAwait(false);
            return data;
        }
        var segments = new List<byte[]>();
        long total = 0;
        while (true)
        {
            var segment = GC.AllocateUninitializedArray<byte>(SegmentSize);
            var filled = await stream.ReadAtLeastAsync(segment, SegmentSize, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            total += filled;
            if (total > maxLength)
                throw GcsException.BadRequest($"The body is more than the {maxLength} bytes this emulator accepts in one object.");
            if (filled < SegmentSize)
            {
                segments.Add(segment[..filled]);
                break;
            }
            segments.Add(segment);
        }
        return Concat(segments, total);
    }

    /// <summary>Reads and drops a body (before refusing a request, so the connection stays usable).</summary>
    public static async Task DrainAsync(HttpRequest request, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        while (await request.Body.ReadAsync(buffer, ct).ConfigureAwait(false) > 0)
        {
        }
    }

    private static byte[] Concat(List<byte[]> segments, long total)
    {
        if (segments.Count == 1)
            return segments[0];
        var data = GC.AllocateUninitializedArray<byte>((int)total);
        var offset = 0;
        foreach (var segment in segments)
        {
            segment.CopyTo(data, offset);
            offset += segment.Length;
        }
        return data;
    }
}
