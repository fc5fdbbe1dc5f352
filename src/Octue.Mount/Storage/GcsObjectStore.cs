using System.Net;
using Google;
using Google.Apis.Storage.v1.Data;
using Google.Cloud.Storage.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Octue.Mount.Integrity;
using GcsObject = Google.Apis.Storage.v1.Data.Object;

namespace Octue.Mount.Storage;

/// <summary>
/// <see cref="IObjectStore"/> on Google.Cloud.Storage.V1. Metadata calls go through <see cref="StorageClient"/>;
/// media (reads and uploads) go through the client's own authenticated HTTP pipeline so reads can be pulled as
/// a stream and resumed, and uploads can carry their hashes and resume chunk by chunk. Every call has exactly
/// one retry layer, <see cref="RetryPolicy"/>: the client library's retries are switched off.
/// </summary>
public sealed class GcsObjectStore : IObjectStore, IDisposable
{
    private readonly StorageClient _client;
    private readonly RetryPolicy _retry;
    private readonly MediaEndpoints _endpoints;
    private readonly MediaUploader _uploader;
    private readonly ILogger _logger;
    private readonly TimeSpan _readStallTimeout;

    private GcsObjectStore(StorageClient client, ObjectStoreOptions options, ILogger logger)
    {
        _client = client;
        _logger = logger;
        _readStallTimeout = options.ReadStallTimeout;
        _retry = new RetryPolicy(options.MaxRetries, options.InitialBackoff, options.MaxBackoff, logger);
        _endpoints = new MediaEndpoints(client.Service.BaseUri);
        _uploader = new MediaUploader(client.Service.HttpClient, _endpoints, client.Service.Serializer, _retry, logger,
            options.ResumableThreshold, options.UploadChunkSize, (bucket, name, ct) => StatAsync(bucket, name, null, ct));
    }

    /// <summary>The API base the store talks to (<c>…/storage/v1/</c>).</summary>
    public string BaseUri => _client.Service.BaseUri;

    /// <summary>
    /// Creates a store. An emulator (option or <c>STORAGE_EMULATOR_HOST</c>) is used without credentials; otherwise
    /// anonymous access, a key file, or Application Default Credentials, as the options say.
    /// </summary>
    public static GcsObjectStore Create(ObjectStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ILogger logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<GcsObjectStore>();
        string? emulator = EmulatorEndpoint.Resolve(options.EmulatorHost, options.Environment);
        if (emulator is not null)
        {
            logger.LogInformation("Using the storage emulator at {Emulator}", emulator);
        }
        return new GcsObjectStore(StorageClientFactory.Create(options, emulator), options, logger);
    }

    /// <inheritdoc />
    public async Task<ObjectListing> ListAsync(string bucket, ListRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = new ListObjectsOptions
        {
            Delimiter = request.Delimiter,
            PageSize = request.PageSize,
            PageToken = request.PageToken,
            IncludeTrailingDelimiter = request.IncludeTrailingDelimiter ? true : null,
            StartOffset = request.StartOffset,
            EndOffset = request.EndOffset,
            Fields = ObjectInfoMapper.ListingFields,
            RetryOptions = RetryOptions.Never,
        };
        Objects page = await _retry.ExecuteAsync("list", $"gs://{bucket}/{request.Prefix}", async (_, ct) =>
        {
            await using IAsyncEnumerator<Objects> pages = _client.ListObjectsAsync(bucket, request.Prefix, options)
                .AsRawResponses().GetAsyncEnumerator(ct);
            return await pages.MoveNextAsync().ConfigureAwait(false) ? pages.Current : new Objects();
        }, cancellationToken).ConfigureAwait(false);

        var objects = new List<ObjectInfo>(page.Items?.Count ?? 0);
        if (page.Items is not null)
        {
            foreach (GcsObject item in page.Items)
            {
                objects.Add(ObjectInfoMapper.ToInfo(item, bucket));
            }
        }
        IReadOnlyList<string> prefixes = page.Prefixes is { Count: > 0 } p ? [.. p] : [];
        return new ObjectListing(objects, prefixes, string.IsNullOrEmpty(page.NextPageToken) ? null : page.NextPageToken);
    }

    /// <inheritdoc />
    public Task<ObjectInfo?> StatAsync(string bucket, string name, CancellationToken cancellationToken = default) =>
        StatAsync(bucket, name, generation: null, cancellationToken);

    /// <inheritdoc />
    public Task<Stream> OpenReadAsync(string bucket, string name, long offset = 0, long? length = null, long? generation = null,
        CancellationToken cancellationToken = default) =>
        ObjectReadStream.OpenAsync(_client.Service.HttpClient, _endpoints, _retry, _logger, bucket, name, offset, length, generation,
            _readStallTimeout, (g, ct) => StatAsync(bucket, name, g, ct), cancellationToken);

    /// <inheritdoc />
    public async Task<ObjectInfo> UploadAsync(string bucket, string name, Stream content, UploadOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new UploadOptions();
        string target = ObjectInfoMapper.Uri(bucket, name);
        await using UploadSource source = await UploadSource.PrepareAsync(content, options.Crc32c, options.Md5, cancellationToken)
            .ConfigureAwait(false);
        UploadResult result = await _uploader.UploadAsync(bucket, name, source, options, cancellationToken).ConfigureAwait(false);
        ObjectInfo info = result.Stored;
        string? mismatch = DescribeMismatch(info, source.Length, result);
        if (mismatch is not null)
        {
            _logger.LogError("upload {Target}: the stored object does not match what was sent: {Mismatch}", target, mismatch);
            await RemoveUnverifiedAsync(info).ConfigureAwait(false);
            throw new CorruptionException($"upload {target}: the stored object does not match what was sent ({mismatch}); it was removed.");
        }
        return info;
    }

    /// <inheritdoc />
    public Task<IStreamingUpload> StartStreamingUploadAsync(string bucket, string name, UploadOptions options, StreamingUploadSource source,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(source);
        return _uploader.StartStreamingAsync(bucket, name, options, source, VerifyStreamedAsync, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ObjectInfo> PatchMetadataAsync(string bucket, string name, MetadataPatch patch, long? ifMetagenerationMatch = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        // A null value in the JSON merge patch removes the key.
        var metadata = new Dictionary<string, string?>(patch.Metadata, StringComparer.Ordinal);
        var resource = new GcsObject
        {
            Bucket = bucket,
            Name = name,
            ContentType = patch.ContentType,
            Metadata = metadata.Count > 0 ? metadata! : null,
        };
        var options = new PatchObjectOptions { IfMetagenerationMatch = ifMetagenerationMatch, RetryOptions = RetryOptions.Never };
        GcsObject result = await _retry.ExecuteAsync("patch", ObjectInfoMapper.Uri(bucket, name),
            (_, ct) => _client.PatchObjectAsync(resource, options, ct), cancellationToken).ConfigureAwait(false);
        return ObjectInfoMapper.ToInfo(result, bucket);
    }

    /// <inheritdoc />
    public async Task<ObjectInfo> CopyAsync(string sourceBucket, string sourceName, string destinationBucket, string destinationName,
        long? ifSourceGenerationMatch = null, long? ifGenerationMatch = null, CancellationToken cancellationToken = default)
    {
        var options = new CopyObjectOptions
        {
            IfSourceGenerationMatch = ifSourceGenerationMatch,
            IfGenerationMatch = ifGenerationMatch,
            RetryOptions = RetryOptions.Never,
        };
        string target = $"{ObjectInfoMapper.Uri(sourceBucket, sourceName)} to {ObjectInfoMapper.Uri(destinationBucket, destinationName)}";
        GcsObject result = await _retry.ExecuteAsync("copy", target,
            (_, ct) => _client.CopyObjectAsync(sourceBucket, sourceName, destinationBucket, destinationName, options, ct),
            cancellationToken).ConfigureAwait(false);
        return ObjectInfoMapper.ToInfo(result, destinationBucket);
    }

    /// <inheritdoc />
    public Task DeleteAsync(string bucket, string name, long? ifGenerationMatch = null, CancellationToken cancellationToken = default)
    {
        var options = new DeleteObjectOptions { IfGenerationMatch = ifGenerationMatch, RetryOptions = RetryOptions.Never };
        return _retry.ExecuteAsync("delete", ObjectInfoMapper.Uri(bucket, name), async (attempt, ct) =>
        {
            try
            {
                await _client.DeleteObjectAsync(bucket, name, options, ct).ConfigureAwait(false);
            }
            catch (GoogleApiException e) when (attempt > 0 && e.HttpStatusCode == HttpStatusCode.NotFound)
            {
                // An earlier attempt deleted it and only its reply was lost.
                _logger.LogDebug("delete {Target}: gone on retry, taken as done", ObjectInfoMapper.Uri(bucket, name));
            }
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> ListBucketsAsync(string project, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        var options = new ListBucketsOptions { RetryOptions = RetryOptions.Never };
        return await _retry.ExecuteAsync("list buckets of project", project, async (_, ct) =>
        {
            var names = new List<string>();
            await foreach (Bucket bucket in _client.ListBucketsAsync(project, options).WithCancellation(ct).ConfigureAwait(false))
            {
                names.Add(bucket.Name);
            }
            return (IReadOnlyList<string>)names;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> BucketExistsAsync(string bucket, CancellationToken cancellationToken = default)
    {
        // Listing (not bucket metadata) is what "can be read" means, and it is what public buckets allow anonymously.
        try
        {
            await ListAsync(bucket, new ListRequest { PageSize = 1 }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ObjectNotFoundException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public Task CreateBucketAsync(string project, string bucket, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        var options = new CreateBucketOptions { RetryOptions = RetryOptions.Never };
        return _retry.ExecuteAsync("create bucket", $"gs://{bucket}", async (_, ct) =>
        {
            try
            {
                await _client.CreateBucketAsync(project, bucket, options, ct).ConfigureAwait(false);
            }
            catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.Conflict)
            {
                _logger.LogDebug("create bucket gs://{Bucket}: it exists already", bucket);
            }
        }, cancellationToken);
    }

    /// <summary>Releases the HTTP client and its connections; the store cannot be used afterwards.</summary>
    public void Dispose() => _client.Dispose();

    private async Task<ObjectInfo?> StatAsync(string bucket, string name, long? generation, CancellationToken cancellationToken)
    {
        var options = new GetObjectOptions { Generation = generation, RetryOptions = RetryOptions.Never };
        return await _retry.ExecuteAsync<ObjectInfo?>("stat", ObjectInfoMapper.Uri(bucket, name), async (_, ct) =>
        {
            try
            {
                return ObjectInfoMapper.ToInfo(await _client.GetObjectAsync(bucket, name, options, ct).ConfigureAwait(false), bucket);
            }
            catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    private static string? DescribeMismatch(ObjectInfo stored, long sentLength, UploadResult sent)
    {
        if (stored.Size != sentLength)
        {
            return $"size {stored.Size}, sent {sentLength}";
        }
        if (stored.Crc32c is { } crc && crc != sent.Crc32c)
        {
            return $"CRC32C {GcsHash.ToBase64(crc)}, sent {GcsHash.ToBase64(sent.Crc32c)}";
        }
        if (stored.Md5 is { } md5 && !md5.AsSpan().SequenceEqual(sent.Md5))
        {
            return $"MD5 {GcsHash.ToBase64(md5)}, sent {GcsHash.ToBase64(sent.Md5)}";
        }
        if (stored.Crc32c is null && stored.Md5 is null)
        {
            return "the server reported no hash to compare";
        }
        return null;
    }

    /// <summary>A streamed upload's object must have the length and the CRC32C of the bytes sent; one that does not is removed.</summary>
    private async Task VerifyStreamedAsync(ObjectInfo stored, long sentLength, uint sentCrc32c)
    {
        string? mismatch = stored.Size != sentLength ? $"size {stored.Size}, sent {sentLength}"
            : stored.Crc32c is not { } crc ? "the server reported no CRC32C to compare"
            : crc != sentCrc32c ? $"CRC32C {GcsHash.ToBase64(crc)}, sent {GcsHash.ToBase64(sentCrc32c)}"
            : null;
        if (mismatch is not null)
        {
            string target = ObjectInfoMapper.Uri(stored.Bucket, stored.Name);
            _logger.LogError("upload {Target}: the stored object does not match what was sent: {Mismatch}", target, mismatch);
            await RemoveUnverifiedAsync(stored).ConfigureAwait(false);
            throw new CorruptionException($"upload {target}: the stored object does not match what was sent ({mismatch}); it was removed.");
        }
    }

    private async Task RemoveUnverifiedAsync(ObjectInfo info)
    {
        try
        {
            await DeleteAsync(info.Bucket, info.Name, info.Generation, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ObjectStoreException e)
        {
            _logger.LogError(e, "Could not remove the unverified object gs://{Bucket}/{Name} generation {Generation}",
                info.Bucket, info.Name, info.Generation);
        }
    }
}
