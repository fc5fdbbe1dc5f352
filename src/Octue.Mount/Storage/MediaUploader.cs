using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Google.Apis;
using Microsoft.Extensions.Logging;
using Octue.Mount.Integrity;
using GcsObject = Google.Apis.Storage.v1.Data.Object;

namespace Octue.Mount.Storage;

/// <summary>
/// Sends object bytes to GCS with their CRC32C and MD5, so the server recomputes them and refuses (400, nothing
/// created) bytes that changed on the way. Small objects go in one multipart request with the hashes in the object
/// resource. From the resumable threshold on, a resumable session sends chunks, hashing them as they go (one pass
/// over the content) and declaring the hashes in <c>x-goog-hash</c> on the final chunk; after a failed chunk it
/// asks the server how much it holds and continues from there.
/// </summary>
internal sealed class MediaUploader
{
    private const string DefaultContentType = "application/octet-stream";

    private readonly HttpClient _http;
    private readonly MediaEndpoints _endpoints;
    private readonly ISerializer _json;
    private readonly RetryPolicy _retry;
    private readonly ILogger _logger;
    private readonly int _resumableThreshold;
    private readonly int _defaultChunkSize;
    private readonly Func<string, string, CancellationToken, Task<ObjectInfo?>> _stat;

    public MediaUploader(HttpClient http, MediaEndpoints endpoints, ISerializer json, RetryPolicy retry, ILogger logger,
        int resumableThreshold, int defaultChunkSize, Func<string, string, CancellationToken, Task<ObjectInfo?>> stat)
    {
        _stat = stat;
        _http = http;
        _endpoints = endpoints;
        _json = json;
        _retry = retry;
        _logger = logger;
        _resumableThreshold = resumableThreshold;
        _defaultChunkSize = defaultChunkSize;
    }

    public Task<UploadResult> UploadAsync(string bucket, string name, UploadSource source, UploadOptions options, CancellationToken cancellationToken) =>
        source.Length < _resumableThreshold
            ? UploadInOneRequestAsync(bucket, name, source, options, cancellationToken)
            : UploadResumableAsync(bucket, name, source, options, cancellationToken);

    private string MetadataJson(string bucket, string name, UploadOptions options, uint? crc32c, byte[]? md5) => _json.Serialize(new GcsObject
    {
        Bucket = bucket,
        Name = name,
        ContentType = options.ContentType ?? DefaultContentType,
        Metadata = options.Metadata is null ? null : new Dictionary<string, string>(options.Metadata, StringComparer.Ordinal),
        Crc32c = crc32c is { } crc ? GcsHash.ToBase64(crc) : null,
        Md5Hash = md5 is null ? null : GcsHash.ToBase64(md5),
    });

    private async Task<UploadResult> UploadInOneRequestAsync(string bucket, string name, UploadSource source, UploadOptions options,
        CancellationToken cancellationToken)
    {
        int length = (int)source.Length;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            await source.ReadAtAsync(0, buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            uint crc32c = source.Crc32c ?? Crc32C.Compute(buffer.AsSpan(0, length));
            byte[] md5 = source.Md5 ?? GcsHash.ComputeMd5(buffer.AsSpan(0, length));
            string metadataJson = MetadataJson(bucket, name, options, crc32c, md5);
            string contentType = options.ContentType ?? DefaultContentType;
            ObjectInfo stored = await _retry.ExecuteAsync("upload", ObjectInfoMapper.Uri(bucket, name), async (attempt, ct) =>
            {
                try
                {
                    using var body = new MultipartContent("related", "octue_" + Guid.NewGuid().ToString("N"));
                    body.Add(new StringContent(metadataJson, Encoding.UTF8, "application/json"));
                    var media = new ReadOnlyMemoryContent(buffer.AsMemory(0, length));
                    media.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
                    body.Add(media);
                    using var request = new HttpRequestMessage(HttpMethod.Post, _endpoints.Upload(bucket, "multipart", options)) { Content = body };
                    using HttpResponseMessage response = await _http.SendAsync(request, ct).ConfigureAwait(false);
                    return ObjectInfoMapper.ToInfo(await ReadObjectAsync(response, ct).ConfigureAwait(false), bucket);
                }
                catch (HttpStatusFailure failure) when (attempt > 0 && failure.Status == HttpStatusCode.PreconditionFailed)
                {
                    // An earlier attempt may have created the object and only its reply was lost; then the
                    // precondition now fails against our own write. If exactly our bytes are stored, that attempt won.
                    ObjectInfo? now = await _stat(bucket, name, ct).ConfigureAwait(false);
                    if (now is not null && now.Size == length && now.Crc32c == crc32c && now.Md5 is { } storedMd5
                        && storedMd5.AsSpan().SequenceEqual(md5))
                    {
                        _logger.LogInformation("upload gs://{Bucket}/{Name}: a retried upload found its earlier attempt stored (generation {Generation})",
                            bucket, name, now.Generation);
                        return now;
                    }
                    throw;
                }
            }, cancellationToken).ConfigureAwait(false);
            return new UploadResult(stored, crc32c, md5);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<UploadResult> UploadResumableAsync(string bucket, string name, UploadSource source, UploadOptions options,
        CancellationToken cancellationToken)
    {
        string metadataJson = MetadataJson(bucket, name, options, source.Crc32c, source.Md5);
        string target = ObjectInfoMapper.Uri(bucket, name);
        int chunkSize = options.ChunkSize ?? _defaultChunkSize;
        if (chunkSize < 256 * 1024 || chunkSize % (256 * 1024) != 0)
        {
            throw new ArgumentException($"A resumable upload chunk must be a positive multiple of 256 KiB; got {chunkSize}.", nameof(options));
        }
        Uri session = await StartSessionAsync(bucket, name, options, metadataJson, source.Length, cancellationToken).ConfigureAwait(false);

        byte[] buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
        using var hashes = new ChunkHashing(source);
        try
        {
            long persisted = 0;
            int failures = 0;
            while (true)
            {
                try
                {
                    (GcsObject? done, long next) = await SendChunkAsync(session, source, hashes, persisted, buffer, chunkSize, cancellationToken)
                        .ConfigureAwait(false);
                    if (done is not null)
                    {
                        return new UploadResult(ObjectInfoMapper.ToInfo(done, bucket), hashes.Crc32c, hashes.Md5);
                    }
                    if (next > persisted)
                    {
                        failures = 0;
                    }
                    persisted = next;
                }
                catch (Exception error) when (failures < _retry.MaxRetries && StoreErrors.IsTransient(error, cancellationToken))
                {
                    await _retry.WaitBeforeRetryAsync("upload", target, failures++, error, cancellationToken).ConfigureAwait(false);
                    // The failed chunk may have been partly stored: continue from what the server holds.
                    (GcsObject? done, long held) = await QueryAsync(session, source.Length, target, cancellationToken).ConfigureAwait(false);
                    if (done is not null)
                    {
                        return new UploadResult(ObjectInfoMapper.ToInfo(done, bucket), hashes.Crc32c, hashes.Md5);
                    }
                    persisted = held;
                }
                catch (HttpStatusFailure error) when (error.Status is HttpStatusCode.NotFound or HttpStatusCode.Gone)
                {
                    throw new TransientStoreException($"upload {target}: the upload session expired or was lost ({error.Message}); nothing was stored.", error);
                }
                catch (Exception error)
                {
                    throw StoreErrors.Map(error, "upload", target, cancellationToken);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Opens a resumable session for content whose length is not known yet (it is still being written): the session
    /// takes chunks as they come, and <see cref="StreamingUpload.FinishAsync"/> declares the length and the CRC32C.
    /// The preconditions of <paramref name="options"/> are checked when the upload is finished.
    /// </summary>
    public async Task<IStreamingUpload> StartStreamingAsync(string bucket, string name, UploadOptions options, StreamingUploadSource read,
        Func<ObjectInfo, long, uint, Task> verify, CancellationToken cancellationToken)
    {
        string metadataJson = MetadataJson(bucket, name, options, crc32c: null, md5: null);
        Uri session = await StartSessionAsync(bucket, name, options, metadataJson, length: null, cancellationToken).ConfigureAwait(false);
        return new StreamingUpload(this, _http, _retry, _logger, session, bucket, name, read, verify);
    }

    /// <summary>Starts a resumable session (retrying transient failures) and returns its URI.</summary>
    private Task<Uri> StartSessionAsync(string bucket, string name, UploadOptions options, string metadataJson, long? length,
        CancellationToken cancellationToken) =>
        _retry.ExecuteAsync("upload", ObjectInfoMapper.Uri(bucket, name), async (_, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _endpoints.Upload(bucket, "resumable", options))
            {
                Content = new StringContent(metadataJson, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("X-Upload-Content-Type", options.ContentType ?? DefaultContentType);
            if (length is { } known)
            {
                request.Headers.Add("X-Upload-Content-Length", known.ToString(CultureInfo.InvariantCulture));
            }
            using HttpResponseMessage response = await _http.SendAsync(request, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw await HttpFailures.FromResponseAsync(response, ct).ConfigureAwait(false);
            }
            return response.Headers.Location is { IsAbsoluteUri: true } location
                ? location
                : throw new IOException("The server started a resumable upload without an absolute session URI (Location).");
        }, cancellationToken);

    /// <summary>Sends the chunk starting at <paramref name="offset"/>; returns the object when the upload completed, else the bytes now held.</summary>
    private async Task<(GcsObject? Done, long Persisted)> SendChunkAsync(Uri session, UploadSource source, ChunkHashing hashes,
        long offset, byte[] buffer, int chunkSize, CancellationToken cancellationToken)
    {
        int count = (int)Math.Min(chunkSize, source.Length - offset);
        await source.ReadAtAsync(offset, buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
        hashes.Add(offset, buffer.AsSpan(0, count));
        using var request = new HttpRequestMessage(HttpMethod.Put, session)
        {
            Content = new ReadOnlyMemoryContent(buffer.AsMemory(0, count)),
        };
        if (offset + count == source.Length)
        {
            // The final chunk declares the hashes of the whole; the server refuses to create an object that differs.
            request.Headers.TryAddWithoutValidation(GoogHashHeader.Name,
                $"crc32c={GcsHash.ToBase64(hashes.Crc32c)},md5={GcsHash.ToBase64(hashes.Md5)}");
        }
        request.Content.Headers.ContentRange = count == 0
            ? new ContentRangeHeaderValue(source.Length)
            : new ContentRangeHeaderValue(offset, offset + count - 1, source.Length);
        using HttpResponseMessage response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await InterpretAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Asks a session how many bytes it holds (<c>Content-Range: bytes */total</c>, or <c>bytes */*</c> while the
    /// total is not known), retrying transient failures.
    /// </summary>
    internal Task<(GcsObject? Done, long Persisted)> QueryAsync(Uri session, long? total, string target, CancellationToken cancellationToken) =>
        _retry.ExecuteAsync("upload status", target, async (_, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, session) { Content = new ByteArrayContent([]) };
            if (total is { } known)
            {
                request.Content.Headers.ContentRange = new ContentRangeHeaderValue(known);
            }
            else
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Range", "bytes */*");
            }
            using HttpResponseMessage response = await _http.SendAsync(request, ct).ConfigureAwait(false);
            return await InterpretAsync(response, ct).ConfigureAwait(false);
        }, cancellationToken);

    internal async Task<(GcsObject? Done, long Persisted)> InterpretAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if ((int)response.StatusCode == 308)
        {
            return (null, PersistedBytes(response));
        }
        return (await ReadObjectAsync(response, cancellationToken).ConfigureAwait(false), 0);
    }

    private async Task<GcsObject> ReadObjectAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await HttpFailures.FromResponseAsync(response, cancellationToken).ConfigureAwait(false);
        }
        string json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        GcsObject result = _json.Deserialize<GcsObject>(json);
        _logger.LogDebug("uploaded gs://{Bucket}/{Name} generation {Generation}", result.Bucket, result.Name, result.Generation);
        return result;
    }

    /// <summary>308 carries <c>Range: bytes=0-N</c> for N+1 bytes held, or no Range when none are.</summary>
    private static long PersistedBytes(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Range", out IEnumerable<string>? values))
        {
            return 0;
        }
        foreach (string value in values)
        {
            int dash = value.LastIndexOf('-');
            if (dash > 0 && long.TryParse(value.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long last))
            {
                return last + 1;
            }
        }
        throw new IOException($"The upload session answered with an unreadable Range header '{string.Join(",", values)}'.");
    }
}
