using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Octue.Mount.Caching;
using Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// The file system every adapter mounts: a bucket (or prefix), an Octue manifest, or a project's buckets, projected
/// as directories and files with POSIX-ish semantics (close-to-open consistency, staged writes uploaded on
/// flush/close with CRC32C and generation preconditions, no lost updates). See DESIGN.md "Semantics".
/// Directory renames copy and delete object by object: they are not atomic.
/// </summary>
public sealed partial class OctueFileSystem : IFileSystem
{
    private readonly FileSystemOptions _options;
    private readonly IObjectStore _store;
    private readonly ILogger _logger;
    private readonly NodeTable _nodes;
    /// <summary>What the metadata cache knows, asked where an answer without a request will do; <see cref="_store"/> keeps it current.</summary>
    private readonly IMetadataKnowledge<DirectoryListing> _metadata;
    private readonly MetadataCachingStore<DirectoryListing> _cachingStore;
    private readonly FolderListings _listings;
    private readonly NodeResolver _resolver;
    private readonly XattrReader _xattrReader;
    private readonly XattrWriter _xattrWriter;
    private readonly Renamer _renamer;
    private readonly Symlinks _symlinks;
    private readonly StagingArea _staging;
    private readonly StagedUploader _uploader;
    private readonly PendingUploads _pending = new();
    private readonly VfsMetrics _metrics;
    private readonly ReadPath _reads;
    private readonly ConcurrentDictionary<ulong, FileHandle> _files = new();
    private readonly ConcurrentDictionary<ulong, DirectoryHandle> _directories = new();
    private readonly AttributeBuilder _attributes;
    private long _nextHandle;
    private int _disposed;

    private OctueFileSystem(FileSystemOptions options, IObjectStore store, VfsMetrics metrics, ILoggerFactory loggerFactory, Node root)
    {
        _options = options;
        // Every request of the file system goes through the metadata cache, which records what the answers tell.
        _cachingStore = new MetadataCachingStore<DirectoryListing>(store, options.MetadataTtl, options.MetadataCacheSize, options.TimeProvider);
        _store = _cachingStore;
        _metadata = _cachingStore;
        _logger = loggerFactory.CreateLogger<OctueFileSystem>();
        _nodes = new NodeTable(root);
        _metrics = metrics;
        _attributes = new AttributeBuilder(options);
        _listings = new FolderListings(_store, _metadata, _nodes, _pending, _metrics, _logger, () => InvalidationSink, options.Source.Project);
        _resolver = new NodeResolver(_store, _metadata, _nodes, _listings, _pending, _attributes, _metrics, _logger, () => InvalidationSink, options.FileMode);
        _staging = new StagingArea(options.CacheDirectory);
        _metrics.ObserveStagedBytes(_staging.MeasureStagedBytes);
        _reads = new ReadPath(_store, options, loggerFactory);
        if (options.WriteChunkSize < 0 || options.WriteChunkSize % (256 * 1024) != 0)
        {
            throw new ArgumentException($"WriteChunkSize must be 0 or a positive multiple of 256 KiB; got {options.WriteChunkSize}.", nameof(options));
        }

        _uploader = new StagedUploader(_store, _staging, _reads, _metrics, _logger, StatAsync, options.WriteChunkSize);
        var datasets = new DirectoryDatasets(_store, _metadata, _listings, _logger);
        _xattrReader = new XattrReader(_resolver, this, datasets, _reads, _logger);
        _symlinks = new Symlinks(_store, _nodes, _resolver, _attributes, _logger, options.ReadOnly);
        _renamer = new Renamer(_store, _metadata, _nodes, _resolver, this, _pending, _logger, options.ReadOnly);
        _xattrWriter = new XattrWriter(_store, _metadata, _resolver, this, datasets, _xattrReader, _logger, options.ReadOnly);
    }

    /// <inheritdoc/>
    public IInvalidationSink? InvalidationSink { get; set; }

    /// <summary>The folder where lost races keep their bytes.</summary>
    public string ConflictsDirectory => _staging.ConflictsDirectory;

    /// <summary>
    /// Checks the source (a missing bucket or manifest gives <see cref="MountSourceNotFoundException"/>), recovers
    /// staged files a crashed process left in the cache folder, and returns the ready file system.
    /// </summary>
    public static async Task<OctueFileSystem> CreateAsync(FileSystemOptions options, IObjectStore store,
        ILoggerFactory? loggerFactory = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        loggerFactory ??= NullLoggerFactory.Instance;
        Directory.CreateDirectory(options.CacheDirectory);

        // Counted from the first request (the source check, the manifest read), so a mount's counts add up.
        var metrics = new VfsMetrics();
        try
        {
            var fs = await CreateAsync(options, new CountingObjectStore(store, metrics.Meter), metrics, loggerFactory, ct).ConfigureAwait(false);
            fs._logger.LogInformation("File system ready on {Source}", options.Source);
            return fs;
        }
        catch
        {
            metrics.Dispose();
            throw;
        }
    }

    private static async Task<OctueFileSystem> CreateAsync(FileSystemOptions options, IObjectStore store, VfsMetrics metrics,
        ILoggerFactory loggerFactory, CancellationToken ct)
    {
        var source = options.Source;
        Node root;
        switch (source.Kind)
        {
            case MountSourceKind.Bucket:
                bool exists;
                try
                {
                    exists = await store.BucketExistsAsync(source.Bucket!, ct).ConfigureAwait(false);
                }
                catch (PermissionDeniedException e)
                {
                    throw new MountSourceNotFoundException($"Bucket '{source.Bucket}' cannot be read with these credentials: {e.Message}", e);
                }

                if (!exists)
                {
                    throw new MountSourceNotFoundException($"Bucket '{source.Bucket}' does not exist or cannot be read.");
                }

                root = new Node(IFileSystem.RootId, NodeKind.Directory, null, "", source.Bucket!, source.Prefix);
                break;
            case MountSourceKind.Project:
                try
                {
                    await store.ListBucketsAsync(source.Project!, ct).ConfigureAwait(false);
                }
                catch (ObjectStoreException e)
                {
                    throw new MountSourceNotFoundException($"The buckets of project '{source.Project}' cannot be listed: {e.Message}", e);
                }

                root = new Node(IFileSystem.RootId, NodeKind.Directory, null, "", "", "", DirectoryRole.ProjectRoot);
                break;
            default:
                var datasets = await ManifestProjection.LoadAsync(store, source, loggerFactory.CreateLogger<OctueFileSystem>(), ct).ConfigureAwait(false);
                root = new Node(IFileSystem.RootId, NodeKind.Directory, null, "", "", "", DirectoryRole.ManifestRoot) { FixedListing = datasets };
                break;
        }

        var fs = new OctueFileSystem(options, store, metrics, loggerFactory, root);
        try
        {
            fs.RemoveLeftoverDetachedCopies();
            await fs.RecoverStagedFilesAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await fs.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return fs;
    }

    /// <inheritdoc/>
    public void AddLookup(ulong node, ulong count = 1) => _nodes.AddLookup(node, count);

    /// <inheritdoc/>
    public void Forget(ulong node, ulong count) => _nodes.Forget(node, count);

    /// <inheritdoc/>
    public FileSystemStats GetStats() =>
        // Object stores have no capacity: report 1 PiB of 4 KiB blocks, all free, and plenty of inodes.
        new(TotalBlocks: 1UL << 38, FreeBlocks: 1UL << 38, AvailableBlocks: 1UL << 38, TotalFiles: 1UL << 32,
            FreeFiles: 1UL << 32, BlockSize: 4096, MaxNameLength: FileNameRule.MaxNameBytes);

    /// <summary>Live nodes (for tests and diagnostics).</summary>
    internal int NodeCount => _nodes.Count;

    internal ReadPath Reads => _reads;

    internal VfsMetrics Metrics => _metrics;

    /// <summary>
    /// Stops the file system without uploading: open readers are closed, staged files with unsaved changes stay in
    /// the cache folder (logged) for the next start to recover, clean ones are removed.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var handle in _files.Values)
        {
            await handle.DisposeReadersAsync().ConfigureAwait(false);

            // Staged bytes not yet uploaded stay in staging/ with their sidecar: the next start recovers them.
            if (handle.Staged is { } staged)
            {
                if (staged.Dirty)
                {
                    _logger.LogWarning("Closing with unsaved changes to {Object}: kept in {Path} for the next start", handle.Node, staged.DataPath);
                    staged.Dispose();
                }
                else
                {
                    staged.Delete();
                }
            }
        }

        foreach (var pending in _pending.TakeAll())
        {
            // Still in staging/: the next start tries again.
            pending.Staged.Dispose();
        }

        _files.Clear();
        _directories.Clear();
        await _reads.DisposeAsync().ConfigureAwait(false);
        _cachingStore.Dispose();
        _metrics.Dispose();
    }

    private ulong NewHandleId() => (ulong)Interlocked.Increment(ref _nextHandle);

    /// <summary>Now, in nanoseconds since the epoch, on the options' clock (a test's fake clock sets every stamp).</summary>
    private long NowNs() => _attributes.NowNs();

    private bool IsReadOnly => _options.ReadOnly;

    private static FileHandle? ActiveWriter(Node node) => node.ActiveWriter();
}
