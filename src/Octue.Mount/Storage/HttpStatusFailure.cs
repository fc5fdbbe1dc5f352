using System.Net;

namespace Octue.Mount.Storage;

/// <summary>
/// An error status from a request this store sends itself (media reads and uploads), with GCS's error message.
/// It never leaves the store: <see cref="StoreErrors"/> turns it into a typed <see cref="ObjectStoreException"/>.
/// </summary>
internal sealed class HttpStatusFailure : Exception
{
    public HttpStatusFailure(HttpStatusCode status, string message, TimeSpan? retryAfter = null)
        : base($"HTTP {(int)status}: {message}")
    {
        Status = status;
        ServerMessage = message;
        RetryAfter = retryAfter;
    }

    public HttpStatusCode Status { get; }

    public string ServerMessage { get; }

    /// <summary>The server's Retry-After, when it sent one (429/503).</summary>
    public TimeSpan? RetryAfter { get; }
}
