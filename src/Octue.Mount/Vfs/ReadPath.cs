using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// The file system's door to object content: the caching layer's verified readers (chunked ranged GETs, read-ahead
/// under a memory budget, on-disk content cache keyed by generation) and its record of verified generations.
/// </summary>
internal sealed class ReadPath : IAsyncDisposable
{
    private readonly ObjectReaderFactory _factory;
    private readonly IObjectStore _store;

    public ReadPath(IObjectStore store, FileSystemOptions options, ILoggerFactory loggerFactory)
    {
        _store = store;
        var readOptions = options.Read with { CacheDirectory = options.CacheDirectory };
        WholeObjectLimit = Math.Min(1 << 20, readOptions.ChunkSize);
        _factory = new ObjectReaderFactory(store, ContentCache.Create(readOptions, loggerFactory), readOptions, loggerFactory);
    }

    public IObjectReader OpenReader(ObjectInfo obj) => _factory.OpenReader(obj);

    /// <summary>The whole, verified cached copy of the object's generation, if there is one (FUSE passthrough).</summary>
    public string? GetWholeFile(ObjectInfo obj) => _factory.GetWholeFile(obj);

    /// <summary>True when the content cache knows this generation (some of its bytes, or its verification, may be served without a request).</summary>
    public bool HasCached(ObjectInfo obj) => _factory.Knows(obj);

    /// <summary>Objects up to this size are downloaded whole when opened for reading (one GET, no stat before it).</summary>
    public int WholeObjectLimit { get; }

    /// <summary>
    /// Downloads the current version of a small object whole, verified, under the read memory budget; null when it
    /// is larger than <see cref="WholeObjectLimit"/> or the budget is short (open it the ordinary way then).
    /// </summary>
    public Task<WholeObject?> TryFetchWholeAsync(string bucket, string name, long expectedSize, CancellationToken ct) =>
        WholeObject.FetchAsync(_store, _factory.Budget, bucket, name, expectedSize, WholeObjectLimit, ct);

    public IntegrityState GetIntegrity(string bucket, string name, long generation) => _factory.GetIntegrity(bucket, name, generation);

    public void MarkVerified(string bucket, string name, long generation, bool remember = true) => _factory.MarkVerified(bucket, name, generation, remember);

    /// <summary>Seeds the content cache with a staged file whose upload GCS confirmed, so reading it back costs nothing.</summary>
    public Task<bool> AdoptUploadedAsync(ObjectInfo obj, string path, CancellationToken ct) => _factory.AdoptVerifiedFileAsync(obj, path, ct);

    public ValueTask DisposeAsync() => _factory.DisposeAsync();
}
