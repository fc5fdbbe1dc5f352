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

    public ReadPath(IObjectStore store, FileSystemOptions options, ILoggerFactory loggerFactory)
    {
        var readOptions = options.Read with { CacheDirectory = options.CacheDirectory };
        _factory = new ObjectReaderFactory(store, ContentCache.Create(readOptions, loggerFactory), readOptions, loggerFactory);
    }

    public IObjectReader OpenReader(ObjectInfo obj) => _factory.OpenReader(obj);

    /// <summary>The whole, verified cached copy of the object's generation, if there is one (FUSE passthrough).</summary>
    public string? GetWholeFile(ObjectInfo obj) => _factory.GetWholeFile(obj);

    public IntegrityState GetIntegrity(string bucket, string name, long generation) => _factory.GetIntegrity(bucket, name, generation);

    public void MarkVerified(string bucket, string name, long generation) => _factory.MarkVerified(bucket, name, generation);

    /// <summary>Seeds the content cache with a staged file whose upload GCS confirmed, so reading it back costs nothing.</summary>
    public Task<bool> AdoptUploadedAsync(ObjectInfo obj, string path, CancellationToken ct) => _factory.AdoptVerifiedFileAsync(obj, path, ct);

    public ValueTask DisposeAsync() => _factory.DisposeAsync();
}
