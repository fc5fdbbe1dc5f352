namespace Octue.Mount.Storage;

/// <summary>
/// The URLs of media requests, derived from the client's API base (<c>…/storage/v1/</c>): downloads under it,
/// uploads under <c>/upload/storage/v1/</c> at the host root (as GCS and every emulator lay them out).
/// </summary>
internal sealed class MediaEndpoints
{
    private readonly string _apiBase;
    private readonly string _uploadBase;

    public MediaEndpoints(string apiBaseUri)
    {
        _apiBase = apiBaseUri.EndsWith('/') ? apiBaseUri : apiBaseUri + "/";
        _uploadBase = new Uri(new Uri(_apiBase), "/upload/storage/v1/").ToString();
    }

    public Uri Download(string bucket, string name, long? generation)
    {
        string uri = $"{_apiBase}b/{Escape(bucket)}/o/{Escape(name)}?alt=media";
        return new Uri(generation is { } g ? $"{uri}&generation={g}" : uri);
    }

    public Uri Upload(string bucket, string uploadType, UploadOptions options)
    {
        string uri = $"{_uploadBase}b/{Escape(bucket)}/o?uploadType={uploadType}";
        if (options.IfGenerationMatch is { } g)
        {
            uri += $"&ifGenerationMatch={g}";
        }
        if (options.IfMetagenerationMatch is { } m)
        {
            uri += $"&ifMetagenerationMatch={m}";
        }
        return new Uri(uri);
    }

    /// <summary>Object names may hold any character, '/' included: every reserved character is percent-encoded.</summary>
    private static string Escape(string segment) => System.Uri.EscapeDataString(segment);
}
