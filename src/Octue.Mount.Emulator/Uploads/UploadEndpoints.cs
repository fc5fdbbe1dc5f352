using System.Security.Cryptography;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Octue.Mount.Integrity;

namespace Octue.Mount.Emulator;

/// <summary>
/// objects.insert through <c>/upload/storage/v1/b/B/o</c>: <c>uploadType=media</c> and <c>multipart</c> in one
/// request, and the opening request of <c>uploadType=resumable</c> (answered with the session URI).
/// </summary>
internal static class UploadEndpoints
{
    public static Task StartAsync(EmulatorContext c)
    {
        var uploadType = QueryParameters.String(c.Request, "uploadType");
        return uploadType switch
        {
            "media" => MediaAsync(c),
            "multipart" => MultipartAsync(c),
            "resumable" => ResumableAsync(c),
            _ => throw GcsException.BadRequest($"Unsupported uploadType '{uploadType}': use media, multipart or resumable."),
        };
    }

    private static async Task MediaAsync(EmulatorContext c)
    {
        var bucket = RequireBucket(c);
        var name = ValidName(QueryParameters.String(c.Request, "name"));
        var data = await RequestBody.ReadAllAsync(RequestBody.Open(c.Request), RequestBody.DeclaredLength(c.Request), c.Aborted,
            c.Uploads.MaxObjectSize).ConfigureAwait(false);
        var attributes = ObjectResourceInput.Empty.ForNewObject(c.Request.ContentType);
        await CommitAsync(c, bucket, name, data, attributes, [HashHeader.Read(c.Request)]).ConfigureAwait(false);
    }

    private static async Task MultipartAsync(EmulatorContext c)
    {
        var bucket = RequireBucket(c);
        if (!MediaTypeHeaderValue.TryParse(c.Request.ContentType, out var mediaType)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
        {
            throw GcsException.BadRequest("A multipart upload needs Content-Type: multipart/related; boundary=...");
        }
        var reader = new MultipartReader(boundary, RequestBody.Open(c.Request)) { BodyLengthLimit = null };
        var metadataSection = await reader.ReadNextSectionAsync(c.Aborted).ConfigureAwait(false)
            ?? throw GcsException.BadRequest("A multipart upload needs a metadata part and a media part.");
        ObjectResourceInput input;
        using (var metadataJson = await ParseJsonAsync(metadataSection.Body, c.Aborted).ConfigureAwait(false))
            input = ObjectResourceInput.Parse(metadataJson);
        var mediaSection = await reader.ReadNextSectionAsync(c.Aborted).ConfigureAwait(false)
            ?? throw GcsException.BadRequest("A multipart upload needs a media part after the metadata part.");
        var data = await RequestBody.ReadAllAsync(mediaSection.Body, null, c.Aborted, c.Uploads.MaxObjectSize).ConfigureAwait(false);
        var name = ValidName(input.Name ?? QueryParameters.String(c.Request, "name"));
        var attributes = input.ForNewObject(mediaSection.ContentType);
        await CommitAsync(c, bucket, name, data, attributes, [input.Hashes, HashHeader.Read(c.Request)]).ConfigureAwait(false);
    }

    private static async Task ResumableAsync(EmulatorContext c)
    {
        var bucket = RequireBucket(c);
        ObjectResourceInput input;
        using (var body = await RequestBody.ReadJsonAsync(c.Request, c.Aborted).ConfigureAwait(false))
            input = ObjectResourceInput.Parse(body);
        var name = ValidName(input.Name ?? QueryParameters.String(c.Request, "name"));
        var attributes = input.ForNewObject(c.Request.Headers["X-Upload-Content-Type"].ToString());
        long? declaredLength = long.TryParse(c.Request.Headers["X-Upload-Content-Length"].ToString(), out var length) && length >= 0 ? length : null;
        var session = c.Uploads.Open(bucket, name, attributes, QueryParameters.Preconditions(c.Request), input.Hashes, declaredLength);
        c.Response.Headers.Location = $"{c.BaseUrl}upload/storage/v1/b/{Uri.EscapeDataString(bucket)}/o?uploadType=resumable&upload_id={session.Id}";
        c.Response.Headers["X-GUploader-UploadID"] = session.Id;
        await JsonReplies.WriteEmptyAsync(c.Http, 200).ConfigureAwait(false);
    }

    private static async Task CommitAsync(EmulatorContext c, string bucket, string name, byte[] data, ObjectAttributes attributes, ClientHashes[] declared)
    {
        var stored = await UploadFinalizer.CommitAsync(c, bucket, name, ObjectBytes.Of(data), Crc32C.Compute(data), MD5.HashData(data),
            attributes, QueryParameters.Preconditions(c.Request), declared).ConfigureAwait(false);
        await c.WriteObjectAsync(stored).ConfigureAwait(false);
    }

    private static string RequireBucket(EmulatorContext c)
    {
        var bucket = c.Route.Bucket!;
        return c.Store.BucketExists(bucket) ? bucket : throw GcsException.NoSuchBucket(bucket);
    }

    private static string ValidName(string? name) =>
        GcsNameRules.CheckObjectName(name) is { } problem ? throw GcsException.BadRequest(problem) : name!;

    private static async Task<System.Text.Json.JsonDocument?> ParseJsonAsync(Stream body, CancellationToken ct)
    {
        var bytes = await RequestBody.ReadAllAsync(body, null, ct).ConfigureAwait(false);
        if (bytes.Length == 0)
            return null;
        try
        {
            return System.Text.Json.JsonDocument.Parse(bytes);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw GcsException.BadRequest($"The metadata part is not valid JSON: {e.Message}");
        }
    }
}
