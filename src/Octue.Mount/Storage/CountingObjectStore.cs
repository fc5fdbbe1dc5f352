using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Octue.Mount.Storage;

/// <summary>
/// The store as the file system sees it: every call is counted once under its kind before it is passed on, and
/// timed until it completes (a read until its stream is open), so neither the request counter nor the duration
/// histogram can miss a call site (the read path, <c>.octue</c> reads, the manifest, recovery all go through here).
/// Retries and resumable-upload chunks inside one call are the store's business and not counted again.
/// The two instruments, <c>octue.mount.store.requests</c> and <c>octue.mount.store.duration</c> (docs/metrics.md),
/// live on the meter of the file system that owns this store, so one mount's counts stay apart from another's.
/// </summary>
internal sealed class CountingObjectStore : IObjectStore
{
    // Seconds, as OpenTelemetry's semantic conventions measure durations, with buckets from 1 ms (a warm emulator
    // or a small stat) to a minute (a large upload over a slow link).
    private static readonly double[] DurationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly IObjectStore _inner;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;

    public CountingObjectStore(IObjectStore inner, Meter meter)
    {
        _inner = inner;
        _requests = meter.CreateCounter<long>("octue.mount.store.requests", "{request}", "Calls to the object store, by kind (tag kind)");
        _requestDuration = meter.CreateHistogram("octue.mount.store.duration", "s",
            "Time each call to the object store took, by kind and outcome (tags kind, outcome: ok or error); for a read, until its response started",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
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

    /// <summary>Counted once, as one upload, when the session opens; its chunks and its finish are the upload's own business.</summary>
    public Task<IStreamingUpload> StartStreamingUploadAsync(string bucket, string name, UploadOptions options, StreamingUploadSource source,
        CancellationToken cancellationToken = default)
    {
        return TimedAsync(StoreRequestKind.Upload, Start(StoreRequestKind.Upload), _inner.StartStreamingUploadAsync(bucket, name, options, source, cancellationToken));
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
        _requests.Add(1, new KeyValuePair<string, object?>("kind", kind));
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
            _requestDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", succeeded ? "ok" : "error"));
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
            _requestDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", succeeded ? "ok" : "error"));
        }
    }
}
