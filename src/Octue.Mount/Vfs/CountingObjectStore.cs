using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// The store as the file system sees it: every call is counted once under its kind before it is passed on, so the
/// request counter cannot miss a call site (the read path, <c>.octue</c> reads, the manifest, recovery all go
/// through here). Retries and resumable-upload chunks inside one call are the store's business and not counted again.
/// </summary>
internal sealed class CountingObjectStore : IObjectStore
{
    private readonly IObjectStore _inner;
    private readonly VfsMetrics _metrics;

    public CountingObjectStore(IObjectStore inner, VfsMetrics metrics)
    {
        _inner = inner;
        _metrics = metrics;
    }

    public Task<ObjectListing> ListAsync(string bucket, ListRequest request, CancellationToken cancellationToken = default)
    {
        _metrics.Request(StoreRequestKind.List);
        return _inner.ListAsync(bucket, request, cancellationToken);
    }

    public Task<ObjectInfo?> StatAsync(string bucket, string name, CancellationToken cancellationToken = default)
    {
        _metrics.Request(StoreRequestKind.Stat);
        return _inner.StatAsync(bucket, name, cancellationToken);
    }

    public Task<Stream> OpenReadAsync(string bucket, string name, long offset = 0, long? length = null, long? generation = null,
        CancellationToken cancellationToken = default)
    {
        _metrics.Request(StoreRequestKind.Read);
        return _inner.OpenReadAsync(bucket, name, offset, length, generation, cancellationToken);
    }

    public Task<ObjectInfo> UploadAsync(string bucket, string name, Stream content, UploadOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        _metrics.Request(StoreRequestKind.Upload);
        return _inner.UploadAsync(bucket, name, content, options, cancellationToken);
    }

    public Task<ObjectInfo> PatchMetadataAsync(string bucket, string name, MetadataPatch patch, long? ifMetagenerationMatch = null,
        CancellationToken cancellationToken = default)
    {
        _metrics.Request(StoreRequestKind.Patch);
        return _inner.PatchMetadataAsync(bucket, name, patch, ifMetagenerationMatch, cancellationToken);
    }

    public Task<ObjectInfo> CopyAsync(string sourceBucket, string sourceName, string destinationBucket, string destinationName,
        long? ifSourceGenerationMatch = null, long? ifGenerationMatch = null, CancellationToken cancellationToken = default)
    {
        _metrics.Request(StoreRequestKind.Copy);
        return _inner.CopyAsync(sourceBucket, sourceName, destinationBucket, destinationName, ifSourceGenerationMatch, ifGenerationMatch,
            cancellationToken);
    }

    public Task DeleteAsync(string bucket, string name, long? ifGenerationMatch = null, CancellationToken cancellationToken = default)
    {
        _metrics.Request(StoreRequestKind.Delete);
        return _inner.DeleteAsync(bucket, name, ifGenerationMatch, cancellationToken);
    }

    public Task<IReadOnlyList<string>> ListBucketsAsync(string project, CancellationToken cancellationToken = default)
    {
        _metrics.Request(StoreRequestKind.ListBuckets);
        return _inner.ListBucketsAsync(project, cancellationToken);
    }

    // The store answers "does it exist" with a one-object listing, so it is counted as the list it costs.
    public Task<bool> BucketExistsAsync(string bucket, CancellationToken cancellationToken = default)
    {
        _metrics.Request(StoreRequestKind.List);
        return _inner.BucketExistsAsync(bucket, cancellationToken);
    }

    public Task CreateBucketAsync(string project, string bucket, CancellationToken cancellationToken = default)
    {
        _metrics.Request(StoreRequestKind.CreateBucket);
        return _inner.CreateBucketAsync(project, bucket, cancellationToken);
    }
}
