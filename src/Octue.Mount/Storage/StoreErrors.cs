using System.Net;
using Google;

namespace Octue.Mount.Storage;

/// <summary>
/// Sorts failures into the few kinds callers act on: which are worth retrying, and which typed
/// <see cref="ObjectStoreException"/> each becomes once retrying is over.
/// </summary>
internal static class StoreErrors
{
    /// <summary>True for failures that may go away on their own: 408, 429, 5xx, broken connections, timeouts.</summary>
    public static bool IsTransient(Exception error, CancellationToken cancellationToken) => error switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested, // a timeout, not the caller
        GoogleApiException api => IsTransientStatus(api.HttpStatusCode),
        HttpStatusFailure failure => IsTransientStatus(failure.Status),
        HttpRequestException http => http.StatusCode is null || IsTransientStatus(http.StatusCode.Value),
        IOException => true,
        _ => false,
    };

    public static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>The server's requested wait, when the failure carries one.</summary>
    public static TimeSpan? RetryAfter(Exception error) => (error as HttpStatusFailure)?.RetryAfter;

    /// <summary>
    /// The typed exception for a failure of <paramref name="operation"/> on <paramref name="target"/>
    /// (e.g. "read", "gs://bucket/name"). Typed store exceptions and the caller's cancellation pass through unchanged.
    /// </summary>
    public static Exception Map(Exception error, string operation, string target, CancellationToken cancellationToken)
    {
        if (error is ObjectStoreException || (error is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            return error;
        }
        (HttpStatusCode? status, string message) = Describe(error);
        string what = $"{operation} {target}";
        return status switch
        {
            HttpStatusCode.NotFound => new ObjectNotFoundException($"{what}: not found ({message}).", error),
            HttpStatusCode.PreconditionFailed => new PreconditionFailedException($"{what}: precondition failed ({message}).", error),
            HttpStatusCode.Conflict => new PreconditionFailedException($"{what}: conflict ({message}).", error),
            HttpStatusCode.BadRequest when IsHashMismatch(message) =>
                new CorruptionException($"{what}: the server refused the bytes because they do not match their hash ({message}).", error),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new PermissionDeniedException(
                $"{what}: permission denied ({message}). Check the credentials (Application Default Credentials, a key file, " +
                "or anonymous access for public buckets) and their roles.", error),
            _ when IsTransient(error, cancellationToken) => new TransientStoreException(
                $"{what}: still failing after retries ({message}).", error),
            _ => new ObjectStoreException($"{what} failed ({message}).", error),
        };
    }

    /// <summary>GCS says "Provided CRC32C ... doesn't match calculated CRC32C ..." (or MD5) when it refuses an upload.</summary>
    private static bool IsHashMismatch(string message) =>
        message.Contains("crc32c", StringComparison.OrdinalIgnoreCase)
        || message.Contains("md5", StringComparison.OrdinalIgnoreCase)
        || message.Contains("hash", StringComparison.OrdinalIgnoreCase)
        || message.Contains("checksum", StringComparison.OrdinalIgnoreCase);

    private static (HttpStatusCode? Status, string Message) Describe(Exception error) => error switch
    {
        GoogleApiException api => (api.HttpStatusCode, $"HTTP {(int)api.HttpStatusCode}: {api.Error?.Message ?? api.Message}"),
        HttpStatusFailure failure => (failure.Status, failure.Message),
        HttpRequestException http => (http.StatusCode, http.Message),
        _ => (null, error.Message),
    };
}
