using System.Diagnostics;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// The store as the file system sees it: every call is counted once under its kind before it is passed on, and
/// timed until it completes (a read until its stream is open), so neither the request counter nor the duration
/// histogram can miss a call site (the read path, <c>.octue</c> reads, the manifest, recovery all go through here).
/// Retries and resumable-upload chunks inside one call are the store's business and not counted again.
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
        return TimedAsync(StoreRequestKind.List, Start(StoreRequestKind.List), _inner.ListAsync(bucket, request, cancellationToken));
    }

    public Task<ObjectInfo?> StatAsync(string bucket, string name, CancellationToken cancellationToken = default)
    {
        return TimedAsync(StoreRequestKind.Stat, Start(StoreRequestKind.Stat), _inner.StatAsync(bucket, name, cancellationToken));
    }

    public Task<Stream> OpenReadAsync(string bucket, string name, long offset = 0, long? length = null, long? generation = null,
        CancellationToken cancellationToken = default)
    {
        return TimedAsync(StoreRequestKind.Read, Start(StoreRequestKind.Read), _inner.OpenReadAsync(bucket, name, offset, length, generation, cancellationToken));
    }

    public Task<ObjectInfo> UploadAsync(string bucket, string name, Stream content, UploadOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        return TimedAsync(StoreRequestKind.Upload, Start(StoreRequestKind.Upload), _inner.UploadAsync(bucket, name, content, options, cancellationToken));
    }

    public Task<ObjectInfo> PatchMetadataAsync(string bucket, string name, MetadataPatch patch, long? ifMetagenerationMatch = null,
        CancellationToken cancellationToken = default)
    {
        return TimedAsync(StoreRequestKind.Patch, Start(StoreRequestKind.Patch), _inner.PatchMetadataAsync(bucket, name, patch, ifMetagenerationMatch, cancellationToken));
    }

    public Task<ObjectInfo> CopyAsync(string sourceBucket, string sourceName, string destinationBucket, string destinationName,
        long? ifSourceGenerationMatch = null, long? ifGenerationMatch = null, CancellationToken cancellationToken = default)
    {
        return TimedAsync(StoreRequestKind.Copy, Start(StoreRequestKind.Copy), _inner.CopyAsync(sourceBucket, sourceName, destinationBucket, destinationName, ifSourceGenerationMatch, ifGenerationMatch,
            cancellationToken));
    }

    public Task DeleteAsync(string bucket, string name, long? ifGenerationMatch = null, CancellationToken cancellationToken = default)
    {
        return TimedAsync(StoreRequestKind.Delete, Start(StoreRequestKind.Delete), _inner.DeleteAsync(bucket, name, ifGenerationMatch, cancellationToken));
    }

    public Task<IReadOnlyList<string>> ListBucketsAsync(string project, CancellationToken cancellationToken = default)
    {
        return TimedAsync(StoreRequestKind.ListBuckets, Start(StoreRequestKind.ListBuckets), _inner.ListBucketsAsync(project, cancellationToken));
    }

    // The store answers "does it exist" with a one-object listing, so it is counted as the list it costs.
    public Task<bool> BucketExistsAsync(string bucket, CancellationToken cancellationToken = default)
    {
        return TimedAsync(StoreRequestKind.List, Start(StoreRequestKind.List), _inner.BucketExistsAsync(bucket, cancellationToken));
    }

    public Task CreateBucketAsync(string project, string bucket, CancellationToken cancellationToken = default)
    {
        return TimedAsync(StoreRequestKind.CreateBucket, Start(StoreRequestKind.CreateBucket), _inner.CreateBucketAsync(project, bucket, cancellationToken));
    }

    /// <summary>Counts a call of <paramref name="kind"/> before it is made (arguments are evaluated in order, so this
    /// runs before the inner call starts) and returns the moment it started.</summary>
    private long Start(string kind)
    {
        _metrics.Request(kind);
        return Stopwatch.GetTimestamp();
    }

    /// <summary>Records how long a counted call took and whether it succeeded.</summary>
    private async Task<T> TimedAsync<T>(string kind, long started, Task<T> call)
    {
        var succeeded = false;
        try
        {
            var result = await call.ConfigureAwait(false);
            succeeded = true;
            return result;
        }
        finally
        {
            _metrics.RequestDuration(kind, succeeded, started);
        }
    }

    private async Task TimedAsync(string kind, long started, Task call)
    {
        var succeeded = false;
        try
        {
            await call.ConfigureAwait(false);
            succeeded = true;
        }
        finally
        {
            _metrics.RequestDuration(kind, succeeded, started);
        }
    }
}
