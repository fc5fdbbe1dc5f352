using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;

namespace Octue.Mount.Storage;

/// <summary>
/// Replaces the HTTP handler's automatic decompression with a per-request choice. Media downloads are marked with
/// <see cref="StoredBytes"/>: they ask for gzip (so GCS never transcodes) and get the object's bytes exactly as
/// stored, which is what its CRC32C/MD5 and size describe, even for objects saved with Content-Encoding: gzip.
/// Every other request (the client library's JSON) is decompressed here as the library expects.
/// </summary>
internal sealed class StoredBytesHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    /// <summary>Marks a request whose response body must reach the caller as stored.</summary>
    public static readonly HttpRequestOptionsKey<bool> StoredBytes = new("octue.stored-bytes");

    private static readonly StringWithQualityHeaderValue Gzip = new("gzip");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Headers.AcceptEncoding.Contains(Gzip))
        {
            request.Headers.AcceptEncoding.Add(Gzip);
        }
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        bool storedBytes = request.Options.TryGetValue(StoredBytes, out bool raw) && raw;
        if (!storedBytes && response.Content.Headers.ContentEncoding.Contains("gzip", StringComparer.OrdinalIgnoreCase))
        {
            response.Content = new DecompressedContent(response.Content);
        }
        return response;
    }

    /// <summary>A gzip body presented decompressed, with the headers that described the compressed form dropped.</summary>
    private sealed class DecompressedContent : HttpContent
    {
        private readonly HttpContent _compressed;

        public DecompressedContent(HttpContent compressed)
        {
            _compressed = compressed;
            foreach (KeyValuePair<string, IEnumerable<string>> header in compressed.Headers)
            {
                if (!header.Key.Equals("Content-Encoding", StringComparison.OrdinalIgnoreCase)
                    && !header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    Headers.TryAddWithoutValidation(header.Key, header.Value);
                }
            }
        }

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new GZipStream(await _compressed.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), CompressionMode.Decompress);

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using Stream decompressed = await CreateContentReadStreamAsync(cancellationToken).ConfigureAwait(false);
            await decompressed.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _compressed.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
