namespace Octue.Mount.Tests.Storage;

/// <summary>
/// Sits under the Google client and flips one bit of the media bytes of upload requests, after the client
/// computed its hashes: what a faulty network card or proxy would do.
/// </summary>
internal sealed class CorruptingHandler(HttpMessageHandler inner, CorruptingHandler.Switch control) : DelegatingHandler(inner)
{
    public sealed class Switch
    {
        private int _corrupted;

        public volatile bool Armed;

        public int Corrupted => Volatile.Read(ref _corrupted);

        internal void Count() => Interlocked.Increment(ref _corrupted);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (control.Armed && request.Content is not null && request.RequestUri!.AbsolutePath.StartsWith("/upload/", StringComparison.Ordinal)
            && (request.Method == HttpMethod.Put || request.RequestUri.Query.Contains("uploadType=multipart", StringComparison.Ordinal)))
        {
            byte[] body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
            if (body.Length > 0)
            {
                // The media is the tail of a multipart body (before the closing boundary) or the whole of a chunk.
                int index = request.Method == HttpMethod.Put ? body.Length / 2 : body.Length - 200;
                body[index] ^= 0x01;
                var replaced = new ByteArrayContent(body);
                foreach (KeyValuePair<string, IEnumerable<string>> header in request.Content.Headers)
                {
                    if (!header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    {
                        replaced.Headers.TryAddWithoutValidation(header.Key, header.Value);
                    }
                }
                request.Content = replaced;
                control.Count();
            }
        }
        return await base.SendAsync(request, cancellationToken);
    }
}
