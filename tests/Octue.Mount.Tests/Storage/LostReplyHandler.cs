namespace Octue.Mount.Tests.Storage;

/// <summary>
/// Lets the first upload request (of those <c>which</c> selects) reach the server and take effect, then loses its reply (the connection "breaks"
/// on the way back): the case where a retry meets its own earlier success.
/// </summary>
internal sealed class LostReplyHandler(HttpMessageHandler inner, Func<HttpRequestMessage, bool>? which = null) : DelegatingHandler(inner)
{
    private int _lost;

    public int Lost => Volatile.Read(ref _lost);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
        if (request.RequestUri!.AbsolutePath.StartsWith("/upload/", StringComparison.Ordinal)
            && response.IsSuccessStatusCode && (which is null || which(request)) && Interlocked.CompareExchange(ref _lost, 1, 0) == 0)
        {
            response.Dispose();
            throw new HttpRequestException("The connection was reset before the reply arrived.");
        }
        return response;
    }
}
