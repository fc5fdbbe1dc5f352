using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Octue;

/// <summary>Passes every call to another store; tests override the calls they watch or disturb.</summary>
internal abstract class DelegatingObjectStore(IObjectStore inner) : IObjectStore
{
    protected IObjectStore Inner { get; } = inner;

    public virtual Task<ObjectInfo> UploadAsync(string bucket, string name, Stream content, UploadOptions? options = null, CancellationToken cancellationToken = default) =>
        Inner.UploadAsync(bucket, name, content, options, cancellationToken);

    public virtual Task<ObjectListing> ListAsync(string bucket, ListRequest request, CancellationToken cancellationToken = default) => Inner.ListAsync(bucket, request, cancellationToken);
    public virtual Task<ObjectInfo?> StatAsync(string bucket, string name, CancellationToken cancellationToken = default) => Inner.StatAsync(bucket, name, cancellationToken);
    public virtual Task<Stream> OpenReadAsync(string bucket, string name, long offset = 0, long? length = null, long? generation = null, CancellationToken cancellationToken = default) =>
        Inner.OpenReadAsync(bucket, name, offset, length, generation, cancellationToken);
    public virtual Task<ObjectInfo> PatchMetadataAsync(string bucket, string name, MetadataPatch patch, long? ifMetagenerationMatch = null, CancellationToken cancellationToken = default) =>
        Inner.PatchMetadataAsync(bucket, name, patch, ifMetagenerationMatch, cancellationToken);
    public virtual Task<ObjectInfo> CopyAsync(string sourceBucket, string sourceName, string destinationBucket, string destinationName, long? ifSourceGenerationMatch = null, long? ifGenerationMatch = null, CancellationToken cancellationToken = default) =>
        Inner.CopyAsync(sourceBucket, sourceName, destinationBucket, destinationName, ifSourceGenerationMatch, ifGenerationMatch, cancellationToken);
    public virtual Task DeleteAsync(string bucket, string name, long? ifGenerationMatch = null, CancellationToken cancellationToken = default) => Inner.DeleteAsync(bucket, name, ifGenerationMatch, cancellationToken);
    public virtual Task<IReadOnlyList<string>> ListBucketsAsync(string project, CancellationToken cancellationToken = default) => Inner.ListBucketsAsync(project, cancellationToken);
    public virtual Task<bool> BucketExistsAsync(string bucket, CancellationToken cancellationToken = default) => Inner.BucketExistsAsync(bucket, cancellationToken);
    public virtual Task CreateBucketAsync(string project, string bucket, CancellationToken cancellationToken = default) => Inner.CreateBucketAsync(project, bucket, cancellationToken);
}

/// <summary>Counts how many uploads are in flight at once.</summary>
internal sealed class ConcurrencyTrackingStore(IObjectStore inner) : DelegatingObjectStore(inner)
{
    private int _inFlight;
    private int _maximum;

    public int MaximumConcurrentUploads => Volatile.Read(ref _maximum);

    public override async Task<ObjectInfo> UploadAsync(string bucket, string name, Stream content, UploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _maximum)) && Interlocked.CompareExchange(ref _maximum, now, seen) != seen) { }
        try
        {
            return await Inner.UploadAsync(bucket, name, content, options, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}

/// <summary>Reports a wrong CRC32C for every upload, as if the server had stored other bytes than were sent.</summary>
internal sealed class MisreportingUploadStore(IObjectStore inner) : DelegatingObjectStore(inner)
{
    public override async Task<ObjectInfo> UploadAsync(string bucket, string name, Stream content, UploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var stored = await Inner.UploadAsync(bucket, name, content, options, cancellationToken);
        return stored with { Crc32c = stored.Crc32c ^ 0x1u };
    }
}
