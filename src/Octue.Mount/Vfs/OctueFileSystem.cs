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
    /// <summary>How many times a change that lost a metadata race (metageneration) is merged again and retried.</summary>
    private const int MaxPreconditionRetries = 3;

    private readonly FileSystemOptions _options;
    private readonly IObjectStore _store;
    private readonly ILogger _logger;
    private readonly NodeTable _nodes;
    /// <summary>What the metadata cache knows, asked where an answer without a request will do; <see cref="_store"/> keeps it current.</summary>
    private readonly IMetadataKnowledge<DirectoryListing> _metadata;
    private readonly MetadataCachingStore<DirectoryListing> _cachingStore;
    private readonly DirectoryLister _lister;
    private readonly ManifestProjection _projection;
    private readonly SubfolderPrefetch _prefetch;
    private readonly StagingArea _staging;
    private readonly StagedUploader _uploader;
    private readonly PendingUploads _pending = new();
    private readonly VfsMetrics _metrics;
    private readonly ReadPath _reads;
    private readonly LoggedOnce _hiddenXattrsLogged = new();
    private readonly LoggedOnce _badSymlinksLogged = new();
    private readonly ConcurrentDictionary<ulong, FileHandle> _files = new();
    private readonly ConcurrentDictionary<ulong, DirectoryHandle> _directories = new();
    private readonly long _mountTimeNs;
    private readonly uint _uid;
    private readonly uint _gid;
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
        _lister = new DirectoryLister(_store, _metrics, _logger);
        _projection = new ManifestProjection(_store, _logger, (bucket, prefix, c) => ListFolderAsync(bucket, prefix, readWhole: true, c, missingBucketIsEmpty: true));
        _prefetch = new SubfolderPrefetch(_store, _lister, _logger);
        _staging = new StagingArea(options.CacheDirectory);
        _metrics.ObserveStagedBytes(_staging.MeasureStagedBytes);
        _reads = new ReadPath(_store, options, loggerFactory);
        if (options.WriteChunkSize < 0 || options.WriteChunkSize % (256 * 1024) != 0)
        {
            throw new ArgumentException($"WriteChunkSize must be 0 or a positive multiple of 256 KiB; got {options.WriteChunkSize}.", nameof(options));
        }

        _uploader = new StagedUploader(_store, _staging, _reads, _metrics, _logger, StatAsync, options.WriteChunkSize);
        _mountTimeNs = PosixMetadata.ToNs(options.TimeProvider.GetUtcNow());
        _uid = options.Uid ?? 0;
        _gid = options.Gid ?? 0;
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
    private long NowNs() => PosixMetadata.ToNs(_options.TimeProvider.GetUtcNow());

    private bool IsReadOnly => _options.ReadOnly;

    // ---- attributes ---------------------------------------------------------------------------------------------

    private NodeAttributes DirectoryAttributes(Node node, ObjectInfo? placeholder = null)
    {
        var modified = placeholder is null ? _mountTimeNs : PosixMetadata.ModifiedNs(placeholder);
        return new NodeAttributes
        {
            NodeId = node.Id,
            Inode = node.Inode,
            Kind = NodeKind.Directory,
            Size = 0,
            Mode = placeholder is null ? _options.DirectoryMode : PosixMetadata.Mode(placeholder, _options.AllowSetuid) ?? _options.DirectoryMode,
            Uid = (placeholder is null ? null : PosixMetadata.Uid(placeholder)) ?? _uid,
            Gid = (placeholder is null ? null : PosixMetadata.Gid(placeholder)) ?? _gid,
            ModifiedNs = modified,
            // A placeholder's update time moves with every chmod/chown/touch of the directory, as a ctime does.
            ChangedNs = placeholder is null ? modified : PosixMetadata.ToNs(placeholder.Updated),
            AccessedNs = modified,
            CreatedNs = placeholder is null ? modified : PosixMetadata.ToNs(placeholder.Created),
            LinkCount = 2,
            CacheFor = _options.MetadataTtl,
        };
    }

    private NodeAttributes ObjectAttributes(Node node, ObjectInfo info)
    {
        var target = PosixMetadata.SymlinkTarget(info);
        var modified = PosixMetadata.ModifiedNs(info);
        return new NodeAttributes
        {
            NodeId = node.Id,
            Inode = node.Inode,
            Kind = target is null ? NodeKind.File : NodeKind.Symlink,
            Size = target is null ? info.Size : System.Text.Encoding.UTF8.GetByteCount(target),
            Mode = target is null ? PosixMetadata.Mode(info, _options.AllowSetuid) ?? _options.FileMode : 0b111_111_111,
            Uid = PosixMetadata.Uid(info) ?? _uid,
            Gid = PosixMetadata.Gid(info) ?? _gid,
            ModifiedNs = modified,
            ChangedNs = PosixMetadata.ToNs(info.Updated),
            AccessedNs = modified,
            CreatedNs = PosixMetadata.ToNs(info.Created),
            // A file that lost its name while open has no link left (fstat after unlink shows 0, as POSIX says).
            LinkCount = node.Detached ? 0u : 1u,
            CacheFor = _options.MetadataTtl,
        };
    }

    /// <summary>Attributes of a file being written: the staged size, the time of the last change.</summary>
    private NodeAttributes StagedAttributes(Node node, FileHandle handle)
    {
        // Read once: a concurrent release may drop the staged copy after ActiveWriter picked this handle; the
        // uploaded object (the handle's base by then) describes the same bytes.
        var staged = handle.Staged;
        var metadata = staged?.Sidecar.Metadata ?? handle.Base?.Metadata ?? ObjectInfo.EmptyMetadata;
        var modified = handle.ModifiedNs;
        var mode = PosixMetadata.ParseMode(metadata.GetValueOrDefault(PosixMetadata.ModeKey), _options.AllowSetuid) ?? _options.FileMode;
        var created = handle.Base is { } b ? PosixMetadata.ToNs(b.Created) : modified;
        return new NodeAttributes
        {
            NodeId = node.Id,
            Inode = node.Inode,
            Kind = NodeKind.File,
            Size = staged?.Length ?? handle.Base?.Size ?? 0,
            Mode = mode,
            Uid = PosixMetadata.ParseUInt(metadata, PosixMetadata.UidKey) ?? _uid,
            Gid = PosixMetadata.ParseUInt(metadata, PosixMetadata.GidKey) ?? _gid,
            ModifiedNs = modified,
            ChangedNs = modified,
            AccessedNs = modified,
            CreatedNs = created,
            LinkCount = node.Detached ? 0u : 1u,
            // Cached like any other attributes: every change to a file being written reaches the daemon through the
            // kernel, which updates or drops its copy itself (a WRITE drops size and times, a SETATTR takes its reply),
            // so other handles' stat stays exact. Not caching them cost `cp` two GETATTRs a file (the open's permission
            // check and its fstat), each a round trip. The one change the kernel does not see, a close whose upload
            // lost a race, drops the kernel's copy (UploadIfDirtyAsync).
            CacheFor = _options.MetadataTtl,
        };
    }

    private static FileHandle? ActiveWriter(Node node)
    {
        lock (node.WriteHandles)
        {
            for (var i = node.WriteHandles.Count - 1; i >= 0; i--)
            {
                if (node.WriteHandles[i].Staged is not null)
                {
                    return node.WriteHandles[i];
                }
            }
        }

        return null;
    }
}
