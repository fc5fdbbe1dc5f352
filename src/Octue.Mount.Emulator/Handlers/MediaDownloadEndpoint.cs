using System.Globalization;
using Microsoft.Extensions.Primitives;
using Octue.Mount.Integrity;

namespace Octue.Mount.Emulator;

/// <summary>
/// objects.get with <c>alt=media</c>: the bytes, whole (200, with <c>x-goog-hash</c>) or a range (206 with
/// <c>Content-Range</c> and no hash, since the whole object's hash does not describe a part).
/// </summary>
internal static class MediaDownloadEndpoint
{
    // Slices keep each write small enough for faults to land mid-body, large enough to stream at memory speed.
    private const int SliceSize = 1024 * 1024;

    public static Task DownloadAsync(EmulatorContext c) => WriteMediaAsync(c, ObjectEndpoints.Resolve(c), hashOnPartialContent: false, withBody: true);

    /// <summary>
    /// Answers a read of <paramref name="obj"/>: the whole object (200) or the single range asked for (206 with
    /// <c>Content-Range</c>), 416 for a range that starts past the end, with the headers Cloud Storage sends on media
    /// (<c>x-goog-generation</c>, <c>-metageneration</c>, <c>-stored-content-length</c>, <c>-stored-content-encoding</c>,
    /// <c>-storage-class</c>, <c>x-goog-hash</c>). The JSON API path leaves the hash off a 206 (the .NET client checks
    /// any hash it is given against the part it got); the XML path sends the whole object's hash on a 206 as well, as
    /// Cloud Storage does there (Go's client checks it only on a 200). Without <paramref name="withBody"/> (HEAD) the
    /// headers, status and Content-Length are those of the GET, and no bytes follow.
    /// </summary>
    internal static async Task WriteMediaAsync(EmulatorContext c, StoredObject obj, bool hashOnPartialContent, bool withBody)
    {
        var response = c.Response;
        var size = obj.Size;
        var range = ByteRange.Parse(c.Request.Headers.Range.ToString(), size, out var satisfiable);
        if (!satisfiable)
        {
            response.Headers.ContentRange = $"bytes */{size.ToString(CultureInfo.InvariantCulture)}";
            throw new GcsException(416, "requestedRangeNotSatisfiable", "The requested range cannot be satisfied.");
        }

        var headers = response.Headers;
        headers.ContentType = obj.ContentType;
        headers["x-goog-generation"] = obj.Generation.ToString(CultureInfo.InvariantCulture);
        headers["x-goog-metageneration"] = obj.Metageneration.ToString(CultureInfo.InvariantCulture);
        headers["x-goog-stored-content-length"] = size.ToString(CultureInfo.InvariantCulture);
        headers["x-goog-stored-content-encoding"] = obj.ContentEncoding ?? "identity";
        headers["x-goog-storage-class"] = obj.StorageClass;
        headers.ETag = ETag.Of(obj);
        headers.LastModified = obj.Updated.ToString("R", CultureInfo.InvariantCulture);
        headers.AcceptRanges = "bytes";
        if (obj.ContentEncoding is not null)
            headers.ContentEncoding = obj.ContentEncoding;

        long offset = 0;
        var length = size;
        if (range is { } r)
        {
            offset = r.Offset;
            length = r.Length;
            response.StatusCode = 206;
            headers.ContentRange = $"bytes {r.Offset.ToString(CultureInfo.InvariantCulture)}-{r.Last.ToString(CultureInfo.InvariantCulture)}/{size.ToString(CultureInfo.InvariantCulture)}";
        }
        else
        {
            response.StatusCode = 200;
        }
        if (range is null || hashOnPartialContent)
        {
            headers[HashHeader.Name] = obj.Md5 is null
                ? new StringValues("crc32c=" + GcsHash.ToBase64(obj.Crc32c))
                : new StringValues(["crc32c=" + GcsHash.ToBase64(obj.Crc32c), "md5=" + Convert.ToBase64String(obj.Md5)]);
        }
        if (withBody)
        {
            await WriteBodyAsync(c, obj.Bytes, offset, length).ConfigureAwait(false);
        }
        else
        {
            response.ContentLength = length;
        }
    }

    private static async Task WriteBodyAsync(EmulatorContext c, ObjectBytes data, long offset, long length)
    {
        var fault = c.Fault;
        var sendLength = length;
        long resetAt = -1;
        long corruptAt = -1;
        switch (fault?.Kind)
        {
            case FaultKind.TruncateMedia:
                sendLength = Math.Min(length, fault.AfterBytes);
                break;
            case FaultKind.ResetConnection:
                resetAt = Math.Min(length, fault.AfterBytes);
                break;
            case FaultKind.CorruptMedia when length > 0:
                corruptAt = Math.Min(length - 1, fault.AfterBytes);
                break;
        }
        var response = c.Response;
        response.ContentLength = sendLength;
        var ct = c.Aborted;
        long sent = 0;
        var limit = resetAt >= 0 ? resetAt : sendLength;
        while (sent < limit)
        {
            // At most a slice, and never across two of the object's pieces.
            var slice = data.At(offset + sent, (int)Math.Min(SliceSize, limit - sent));
            var count = slice.Length;
            if (corruptAt >= sent && corruptAt < sent + count)
            {
                var copy = slice.ToArray();
                copy[corruptAt - sent] ^= 0xFF;
                slice = copy;
            }
            await response.Body.WriteAsync(slice, ct).ConfigureAwait(false);
            sent += count;
        }
        if (resetAt >= 0)
        {
            await response.Body.FlushAsync(ct).ConfigureAwait(false);
            c.Http.Abort();
        }
    }
}
