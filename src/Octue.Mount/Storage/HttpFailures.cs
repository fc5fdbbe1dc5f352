using System.Text.Json;

namespace Octue.Mount.Storage;

/// <summary>Reads GCS's error replies (<c>{"error":{"code":…,"message":…}}</c>) of requests the store sends itself.</summary>
internal static class HttpFailures
{
    private const int MaxErrorBody = 64 * 1024;

    public static async Task<HttpStatusFailure> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string message = response.ReasonPhrase ?? response.StatusCode.ToString();
        try
        {
            string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length > MaxErrorBody)
            {
                body = body[..MaxErrorBody];
            }
            message = ExtractMessage(body) ?? (body.Length > 0 ? body : message);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // The status is what matters; a body lost with a broken connection is not worth another failure.
        }
        return new HttpStatusFailure(response.StatusCode, message, RetryAfter(response));
    }

    private static string? ExtractMessage(string body)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out JsonElement error)
                && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("message", out JsonElement message)
                && message.ValueKind == JsonValueKind.String)
            {
                return message.GetString();
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's HTML page, say): the raw text is the best description.
        }
        return null;
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }
        if (retryAfter.Delta is { } delta)
        {
            return delta;
        }
        return retryAfter.Date is { } date ? date - DateTimeOffset.UtcNow : null;
    }
}
