using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// The object store as the file system sees it: every request goes to the store it decorates, and what the answers
/// tell is recorded in the metadata cache. A stat's answer (an object, or none) is cached; an upload, a metadata
/// patch, a copy or a finished streamed upload records the object it made (its stat, its entry in its directory's
/// listing, its directories' existence); a delete records the object gone. A write refused because the object was
/// not as expected (a precondition, or the object gone) forgets what was known of it.
/// </summary>
/// <remarks>
/// A stat through the store always asks: its callers want the store's answer (preconditions are built from it, an
/// open revalidates). Answers from what is cached are asked for explicitly, through <see cref="IMetadataKnowledge{TListing}"/>.
/// </remarks>
internal sealed class MetadataCachingStore<TListing> : IObjectStore, IMetadataKnowledge<TListing>, IDisposable
    where TListing : class, ICachedListing<TListing>
{
    private readonly IObjectStore _inner;
    private readonly MetadataCache<TListing> _cache;

    public MetadataCachingStore(IObjectStore inner, TimeSpan ttl, long sizeLimit, TimeProvider timeProvider)
    {
        _inner = inner;
        _cache = new MetadataCache<TListing>(ttl, sizeLimit, timeProvider);
    }

    public Task<ObjectListing> ListAsync(string bucket, ListRequest request, CancellationToken cancellationToken = default) =>
        _inner.ListAsync(bucket, request, cancellationToken);

    public async Task<ObjectInfo?> StatAsync(string bucket, string name, CancellationToken cancellationToken = default)
    {
        var info = await _inner.StatAsync(bucket, name, cancellationToken).ConfigureAwait(false);
        _cache.PutStat(bucket, name, info);
        return info;
    }

    public Task<Stream> OpenReadAsync(string bucket, string name, long offset = 0, long? length = null, long? generation = null,
        CancellationToken cancellationToken = default) =>
        _inner.OpenReadAsync(bucket, name, offset, length, generation, cancellationToken);

    public Task<ObjectInfo> UploadAsync(string bucket, string name, Stream content, UploadOptions? options = null,
        CancellationToken cancellationToken = default) =>
        WrittenAsync(bucket, name, _inner.UploadAsync(bucket, name, content, options, cancellationToken));

    public async Task<IStreamingUpload> StartStreamingUploadAsync(string bucket, string name, UploadOptions options, StreamingUploadSource source,
        CancellationToken cancellationToken = default)
    {
        var session = await _inner.StartStreamingUploadAsync(bucket, name, options, source, cancellationToken).ConfigureAwait(false);
        return new RecordedStreamingUpload(this, bucket, name, session);
    }

    public Task<ObjectInfo> PatchMetadataAsync(string bucket, string name, MetadataPatch patch, long? ifMetagenerationMatch = null,
        CancellationToken cancellationToken = default) =>
        WrittenAsync(bucket, name, _inner.PatchMetadataAsync(bucket, name, patch, ifMetagenerationMatch, cancellationToken));

    public Task<ObjectInfo> CopyAsync(string sourceBucket, string sourceName, string destinationBucket, string destinationName,
        long? ifSourceGenerationMatch = null, long? ifGenerationMatch = null, CancellationToken cancellationToken = default) =>
        WrittenAsync(destinationBucket, destinationName, _inner.CopyAsync(sourceBucket, sourceName, destinationBucket, destinationName,
            ifSourceGenerationMatch, ifGenerationMatch, cancellationToken));

    public async Task DeleteAsync(string bucket, string name, long? ifGenerationMatch = null, CancellationToken cancellationToken = default)
    {
        try
        {
            await _inner.DeleteAsync(bucket, name, ifGenerationMatch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PreconditionFailedException or ObjectNotFoundException)
        {
            _cache.InvalidateObject(bucket, name);
            throw;
        }

        _cache.ObjectRemoved(bucket, name);
    }

    public Task<IReadOnlyList<string>> ListBucketsAsync(string project, CancellationToken cancellationToken = default) =>
        _inner.ListBucketsAsync(project, cancellationToken);

    public Task<bool> BucketExistsAsync(string bucket, CancellationToken cancellationToken = default) =>
        _inner.BucketExistsAsync(bucket, cancellationToken);

    public Task CreateBucketAsync(string project, string bucket, CancellationToken cancellationToken = default) =>
        _inner.CreateBucketAsync(project, bucket, cancellationToken);

    /// <summary>Records the object a write made, or forgets what was known of it when the write found it not as expected.</summary>
    private async Task<ObjectInfo> WrittenAsync(string bucket, string name, Task<ObjectInfo> write)
    {
        ObjectInfo info;
        try
        {
            info = await write.ConfigureAwait(false);
        }
        catch (Exception e) when (e is PreconditionFailedException or ObjectNotFoundException)
        {
            _cache.InvalidateObject(bucket, name);
            throw;
        }

        _cache.ObjectWritten(info);
        return info;
    }

    public async Task<bool> ProbeDirectoryAsync(string bucket, string prefix, CancellationToken ct)
    {
        var page = await _inner.ListAsync(bucket, new ListRequest { Prefix = prefix, Delimiter = "/", PageSize = 1 }, ct).ConfigureAwait(false);
        var exists = page.Objects.Count > 0 || page.Prefixes.Count > 0;
        // Listings are in name order and a placeholder's name is the prefix itself, so it comes first when it exists:
        // the probe also tells the directory's attributes, at no extra request.
        PutFolder(bucket, prefix, exists, page.Objects.Count > 0 && page.Objects[0].Name == prefix ? page.Objects[0] : null);
        return exists;
    }

    public async Task<NameProbe.Answer> ProbeNameAsync(string bucket, string objectName, CancellationToken ct)
    {
        var page = await _inner.ListAsync(bucket, NameProbe.RequestFor(objectName), ct).ConfigureAwait(false);
        var answer = NameProbe.Read(page, objectName);
        // The object sorts first, so the page always settles it; the folder only when the page reached NAME/.
        _cache.PutStat(bucket, objectName, answer.Object);
        if (answer.IsFolder is { } isFolder)
        {
            PutFolder(bucket, objectName + "/", isFolder, answer.Placeholder);
        }

        return answer;
    }

    public void PutFolder(string bucket, string prefix, bool exists, ObjectInfo? placeholder)
    {
        _cache.PutDirectory(bucket, prefix, exists);
        _cache.PutStat(bucket, prefix, placeholder);
    }

    public bool TryGetStat(string bucket, string name, out ObjectInfo? info) => _cache.TryGetStat(bucket, name, out info);

    public void PutStat(string bucket, string name, ObjectInfo? info) => _cache.PutStat(bucket, name, info);

    public bool TryGetDirectory(string bucket, string prefix, out bool exists) => _cache.TryGetDirectory(bucket, prefix, out exists);

    public TListing? TryGetListing(string bucket, string prefix) => _cache.TryGetListing(bucket, prefix);

    public TListing? PeekListing(string bucket, string prefix) => _cache.PeekListing(bucket, prefix);

    public bool ShouldRefreshWhole(string bucket, string prefix) => _cache.ShouldRefreshWhole(bucket, prefix);

    public bool TryStartListing(string bucket, string prefix, Func<CancellationToken, Task<TListing>> list) =>
        _cache.TryStartListing(bucket, prefix, list);

    public Task<TListing> GetOrListAsync(string bucket, string prefix, Func<CancellationToken, Task<TListing>> list, bool readWhole,
        CancellationToken ct) =>
        _cache.GetOrListAsync(bucket, prefix, list, readWhole, ct);

    public void PutListing(string bucket, string prefix, TListing listing) => _cache.PutListing(bucket, prefix, listing);

    public void DirectoryRemoved(string bucket, string prefix) => _cache.DirectoryRemoved(bucket, prefix);

    public void InvalidateObject(string bucket, string name) => _cache.InvalidateObject(bucket, name);

    public void InvalidateStat(string bucket, string name) => _cache.InvalidateStat(bucket, name);

    public void InvalidateListing(string bucket, string prefix) => _cache.InvalidateListing(bucket, prefix);

    public void InvalidateDirectory(string bucket, string prefix) => _cache.InvalidateDirectory(bucket, prefix);

    public bool TryGet<TValue>(object key, out TValue? value) where TValue : class => _cache.TryGet(key, out value);

    public void Put<TValue>(object key, TValue? value) where TValue : class => _cache.Put(key, value);

    public void Remove(object key) => _cache.Remove(key);

    public void Dispose() => _cache.Dispose();

    /// <summary>A streamed upload whose finish is recorded like any other write.</summary>
    private sealed class RecordedStreamingUpload(MetadataCachingStore<TListing> store, string bucket, string name, IStreamingUpload session)
        : IStreamingUpload
    {
        public long Persisted => session.Persisted;

        public Task AppendAsync(long end, CancellationToken cancellationToken = default) => session.AppendAsync(end, cancellationToken);

        public Task<ObjectInfo> FinishAsync(long length, CancellationToken cancellationToken = default) =>
            store.WrittenAsync(bucket, name, session.FinishAsync(length, cancellationToken));

        public Task CancelAsync(CancellationToken cancellationToken = default) => session.CancelAsync(cancellationToken);
    }
}
