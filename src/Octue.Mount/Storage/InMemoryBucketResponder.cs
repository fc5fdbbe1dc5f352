using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Octue.Mount.Integrity;

namespace Octue.Mount.Storage;

/// <summary>
/// An HTTP handler that answers, from memory and without a socket, the few JSON API calls a mount makes on one small
/// fixed bucket: objects.list (prefix, delimiter, trailing delimiters, one page), objects.get (metadata) and the media
/// download (whole or ranged, with the headers Cloud Storage sends). It sits under a real <see cref="GcsObjectStore"/>
/// so that the store, the Google client and everything above them run their real code on requests that never leave
/// the process (see <c>Vfs.FirstUseWarmUp</c>). Anything else is answered 404. Every answer, and every read of its
/// body, completes asynchronously, as on a network: the code that runs when an await has to wait (the state machine
/// boxes, the continuations) is code a real request needs too.
/// </summary>
internal sealed class InMemoryBucketResponder : HttpMessageHandler
{
    private static readonly DateTimeOffset Stamp = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly string _bucket;
    private readonly SortedDictionary<string, byte[]> _objects = new(StringComparer.Ordinal);
    private readonly Dictionary<byte[], (string Crc32c, string Md5)> _hashes = new(ReferenceEqualityComparer.Instance);

    public InMemoryBucketResponder(string bucket, IEnumerable<KeyValuePair<string, byte[]>> objects)
    {
        _bucket = bucket;
        foreach ((string name, byte[] bytes) in objects)
        {
            _objects.Add(name, bytes);
            if (!_hashes.ContainsKey(bytes))
                _hashes.Add(bytes, (GcsHash.ToBase64(Crc32C.Compute(bytes)), Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(bytes))));
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        Uri uri = request.RequestUri ?? throw new ArgumentException("The request has no address.", nameof(request));
        string path = uri.AbsolutePath;
        Dictionary<string, string> query = ParseQuery(uri.Query);
        string objectsPath = $"/storage/v1/b/{_bucket}/o";
        string mediaPath = $"/download/storage/v1/b/{_bucket}/o/";
        HttpResponseMessage response;
        if (request.Method == HttpMethod.Get && path == objectsPath)
            response = List(query);
        else if (request.Method == HttpMethod.Get && path.StartsWith(mediaPath, StringComparison.Ordinal))
            response = Media(Uri.UnescapeDataString(path[mediaPath.Length..]), request.Headers.Range);
        else if (request.Method == HttpMethod.Get && path.StartsWith(objectsPath + "/", StringComparison.Ordinal))
            response = query.GetValueOrDefault("alt") == "media"
                ? Media(Uri.UnescapeDataString(path[(objectsPath.Length + 1)..]), request.Headers.Range)
                : Metadata(Uri.UnescapeDataString(path[(objectsPath.Length + 1)..]));
        else
            response = NotFound();
        response.RequestMessage = request;
        return response;
    }

    private HttpResponseMessage List(Dictionary<string, string> query)
    {
        string prefix = query.GetValueOrDefault("prefix") ?? "";
        string? delimiter = query.GetValueOrDefault("delimiter");
        bool trailing = query.GetValueOrDefault("includeTrailingDelimiter") == "true";
        var prefixes = new SortedSet<string>(StringComparer.Ordinal);
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", "storage#objects");
            w.WriteStartArray("items");
            foreach ((string name, byte[] bytes) in _objects)
            {
                if (!name.StartsWith(prefix, StringComparison.Ordinal))
                    continue;
                int cut = string.IsNullOrEmpty(delimiter) ? -1 : name.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                if (cut >= 0)
                {
                    string folder = name[..(cut + delimiter!.Length)];
                    prefixes.Add(folder);
                    if (!(trailing && folder == name))
                        continue;
                }
                WriteObject(w, name, bytes);
            }
            w.WriteEndArray();
            if (prefixes.Count > 0)
            {
                w.WriteStartArray("prefixes");
                foreach (string p in prefixes)
                    w.WriteStringValue(p);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return Json(HttpStatusCode.OK, buffer.ToArray());
    }

    private HttpResponseMessage Metadata(string name)
    {
        if (!_objects.TryGetValue(name, out byte[]? bytes))
            return NotFound();
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
            WriteObject(w, name, bytes);
        return Json(HttpStatusCode.OK, buffer.ToArray());
    }

    private HttpResponseMessage Media(string name, RangeHeaderValue? range)
    {
        if (!_objects.TryGetValue(name, out byte[]? bytes))
            return NotFound();
        long from = 0, to = bytes.Length - 1;
        bool partial = false;
        if (range?.Ranges.FirstOrDefault() is { } r && (r.From is not null || r.To is not null))
        {
            partial = true;
            if (r.From is { } start)
            {
                from = start;
                to = Math.Min(r.To ?? to, to);
            }
            else
            {
                from = Math.Max(0, bytes.Length - r.To!.Value);
            }
            if (from >= bytes.Length)
            {
                var refused = new HttpResponseMessage(HttpStatusCode.RequestedRangeNotSatisfiable) { Content = new ArrivingContent(ReadOnlyMemory<byte>.Empty) };
                refused.Content.Headers.ContentRange = new ContentRangeHeaderValue(bytes.Length);
                return refused;
            }
        }
        var response = new HttpResponseMessage(partial ? HttpStatusCode.PartialContent : HttpStatusCode.OK)
        {
            Content = new ArrivingContent(bytes.AsMemory((int)from, (int)(to - from + 1))),
        };
        response.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if (partial)
            response.Content.Headers.ContentRange = new ContentRangeHeaderValue(from, to, bytes.Length);
        response.Headers.TryAddWithoutValidation("x-goog-generation", "1");
        response.Headers.TryAddWithoutValidation("x-goog-metageneration", "1");
        response.Headers.TryAddWithoutValidation("x-goog-stored-content-length", bytes.Length.ToString(CultureInfo.InvariantCulture));
        response.Headers.TryAddWithoutValidation("x-goog-stored-content-encoding", "identity");
        response.Headers.TryAddWithoutValidation("x-goog-storage-class", "STANDARD");
        if (!partial)
            response.Headers.TryAddWithoutValidation("x-goog-hash", $"crc32c={_hashes[bytes].Crc32c},md5={_hashes[bytes].Md5}");
        return response;
    }

    private void WriteObject(Utf8JsonWriter w, string name, byte[] bytes)
    {
        string stamp = Stamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        w.WriteStartObject();
        w.WriteString("kind", "storage#object");
        w.WriteString("id", $"{_bucket}/{name}/1");
        w.WriteString("name", name);
        w.WriteString("bucket", _bucket);
        w.WriteString("generation", "1");
        w.WriteString("metageneration", "1");
        w.WriteString("contentType", "application/octet-stream");
        w.WriteString("storageClass", "STANDARD");
        w.WriteString("size", bytes.Length.ToString(CultureInfo.InvariantCulture));
        w.WriteString("md5Hash", _hashes[bytes].Md5);
        w.WriteString("crc32c", _hashes[bytes].Crc32c);
        w.WriteString("etag", "CAE=");
        w.WriteString("timeCreated", stamp);
        w.WriteString("updated", stamp);
        w.WriteEndObject();
    }

    private static HttpResponseMessage Json(HttpStatusCode status, byte[] body)
    {
        var response = new HttpResponseMessage(status) { Content = new ArrivingContent(body) };
        response.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "UTF-8" };
        return response;
    }

    private static HttpResponseMessage NotFound() =>
        Json(HttpStatusCode.NotFound, Encoding.UTF8.GetBytes("""{"error":{"code":404,"message":"No such object.","errors":[{"reason":"notFound","message":"No such object."}]}}"""));

    private static Dictionary<string, string> ParseQuery(string query)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            string key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            string value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            result[key] = value;
        }
        return result;
    }

    /// <summary>A body that arrives the way a socket's does: each read completes after a yield, 64 KiB at most.</summary>
    private sealed class ArrivingContent(ReadOnlyMemory<byte> bytes) : HttpContent
    {
        protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult<Stream>(new ArrivingStream(bytes));

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            await new ArrivingStream(bytes).CopyToAsync(stream).ConfigureAwait(false);

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return true;
        }
    }

    private sealed class ArrivingStream(ReadOnlyMemory<byte> bytes) : Stream
    {
        private const int MostPerRead = 64 * 1024;
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            return Read(buffer.Span);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int count = Math.Min(Math.Min(buffer.Length, MostPerRead), bytes.Length - _position);
            bytes.Span.Slice(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
