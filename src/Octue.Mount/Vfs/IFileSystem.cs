namespace Octue.Mount.Vfs;

/// <summary>
/// The platform-neutral file system the adapters (FUSE on Linux, WinFsp on Windows) call. Node ids are inode-style:
/// stable for a node's life, <see cref="RootId"/> is 1. Every method that can fail returns a <see cref="VfsResult{T}"/>
/// or a <see cref="VfsError"/> rather than throwing, so common misses (ENOENT on lookup) cost no exception.
/// Adapters translate <see cref="VfsError"/> to errno or NTSTATUS and hold no policy of their own.
/// </summary>
public interface IFileSystem : IAsyncDisposable
{
    /// <summary>The root directory's node id (1, as FUSE wants).</summary>
    const ulong RootId = 1;

    /// <summary>Receives invalidations of the kernel's caches when the VFS notices a remote change.</summary>
    IInvalidationSink? InvalidationSink { get; set; }

    /// <summary>Looks a name up in a directory. On success the node's lookup count goes up by one.</summary>
    ValueTask<VfsResult<NodeAttributes>> LookupAsync(ulong parent, string name, CancellationToken ct = default);

    /// <summary>Adds to a node's lookup count (READDIRPLUS entries count as lookups).</summary>
    void AddLookup(ulong node, ulong count = 1);

    /// <summary>Subtracts from a node's lookup count; at zero (and no open handle) the node may be released.</summary>
    void Forget(ulong node, ulong count);

    ValueTask<VfsResult<NodeAttributes>> GetAttributesAsync(ulong node, ulong? handle = null, CancellationToken ct = default);

    /// <summary>Truncate/extend, times, mode/uid/gid (kept in object metadata).</summary>
    ValueTask<VfsResult<NodeAttributes>> SetAttributesAsync(ulong node, ulong? handle, SetAttributes changes, CancellationToken ct = default);

    /// <summary>Opens a file; returns a handle id. <see cref="OpenFlags.Truncate"/> truncates at open.</summary>
    ValueTask<VfsResult<ulong>> OpenAsync(ulong node, OpenFlags flags, CancellationToken ct = default);

    /// <summary>Creates a file (or opens it when it exists and <see cref="OpenFlags.Exclusive"/> is not set); the lookup count goes up by one.</summary>
    ValueTask<VfsResult<CreatedFile>> CreateAsync(ulong parent, string name, uint mode, OpenFlags flags, CancellationToken ct = default);

    /// <summary>Reads up to <c>buffer.Length</c> bytes at <paramref name="offset"/>; fewer bytes only at end of file.</summary>
    ValueTask<VfsResult<int>> ReadAsync(ulong handle, long offset, Memory<byte> buffer, CancellationToken ct = default);

    /// <summary>Writes to the handle's staged copy; returns the byte count written.</summary>
    ValueTask<VfsResult<int>> WriteAsync(ulong handle, long offset, ReadOnlyMemory<byte> data, CancellationToken ct = default);

    /// <summary>Uploads staged changes (close-to-open: when this succeeds the object is durable).</summary>
    ValueTask<VfsError> FlushAsync(ulong handle, CancellationToken ct = default);

    ValueTask<VfsError> FsyncAsync(ulong handle, CancellationToken ct = default);

    /// <summary>Closes the handle, uploading what is still staged.</summary>
    ValueTask<VfsError> ReleaseAsync(ulong handle, CancellationToken ct = default);

    /// <summary>Opens a directory: takes a snapshot of its entries that readdir pages through.</summary>
    ValueTask<VfsResult<ulong>> OpenDirectoryAsync(ulong node, CancellationToken ct = default);

    /// <summary>
    /// Entries of an open directory from <paramref name="cookie"/> (0 = start; each entry carries the cookie of the
    /// next one), in batches: an empty list means the end. "." and ".." are included first. Entries carry full attributes taken from the listing (no per-entry
    /// stat). Returned entries do NOT count as lookups: an adapter that hands them to the kernel as READDIRPLUS
    /// entries calls <see cref="AddLookup"/> for each one it actually sent.
    /// </summary>
    ValueTask<VfsResult<IReadOnlyList<DirectoryEntry>>> ReadDirectoryAsync(ulong directoryHandle, long cookie, CancellationToken ct = default);

    ValueTask<VfsError> ReleaseDirectoryAsync(ulong directoryHandle, CancellationToken ct = default);

    ValueTask<VfsResult<NodeAttributes>> MakeDirectoryAsync(ulong parent, string name, uint mode, CancellationToken ct = default);

    ValueTask<VfsError> RemoveDirectoryAsync(ulong parent, string name, CancellationToken ct = default);

    ValueTask<VfsError> UnlinkAsync(ulong parent, string name, CancellationToken ct = default);

    ValueTask<VfsError> RenameAsync(ulong parent, string name, ulong newParent, string newName, RenameFlags flags, CancellationToken ct = default);

    ValueTask<VfsResult<NodeAttributes>> SymlinkAsync(ulong parent, string name, string target, CancellationToken ct = default);

    ValueTask<VfsResult<string>> ReadLinkAsync(ulong node, CancellationToken ct = default);

    /// <summary>The value of an extended attribute; <see cref="VfsError.NoData"/> when absent.</summary>
    ValueTask<VfsResult<byte[]>> GetXattrAsync(ulong node, string name, CancellationToken ct = default);

    ValueTask<VfsResult<IReadOnlyList<string>>> ListXattrAsync(ulong node, CancellationToken ct = default);

    ValueTask<VfsError> SetXattrAsync(ulong node, string name, ReadOnlyMemory<byte> value, XattrFlags flags, CancellationToken ct = default);

    ValueTask<VfsError> RemoveXattrAsync(ulong node, string name, CancellationToken ct = default);

    FileSystemStats GetStats();
}

/// <summary>Where the VFS sends invalidations of kernel caches. Implementations must not block the caller.</summary>
public interface IInvalidationSink
{
    /// <summary>The name in the directory changed or vanished.</summary>
    void InvalidateEntry(ulong parent, string name);

    /// <summary>The node's attributes and data changed.</summary>
    void InvalidateNode(ulong node);
}

/// <summary>A platform-neutral error; adapters map it to errno / NTSTATUS.</summary>
public enum VfsError
{
    None = 0,
    /// <summary>ENOENT</summary>
    NotFound,
    /// <summary>EEXIST</summary>
    Exists,
    /// <summary>ENOTDIR</summary>
    NotDirectory,
    /// <summary>EISDIR</summary>
    IsDirectory,
    /// <summary>ENOTEMPTY</summary>
    NotEmpty,
    /// <summary>ESTALE: a generation precondition lost a race (the losing bytes are kept in the cache folder).</summary>
    Stale,
    /// <summary>EIO: includes failed integrity checks.</summary>
    IoError,
    /// <summary>EINVAL</summary>
    InvalidArgument,
    /// <summary>EPERM (e.g. writing a read-only xattr).</summary>
    NotPermitted,
    /// <summary>EACCES</summary>
    AccessDenied,
    /// <summary>EROFS</summary>
    ReadOnly,
    /// <summary>ENODATA: no such xattr.</summary>
    NoData,
    /// <summary>ENOTSUP / EOPNOTSUPP</summary>
    NotSupported,
    /// <summary>ENAMETOOLONG</summary>
    NameTooLong,
    /// <summary>EBADF: unknown handle.</summary>
    BadHandle,
    /// <summary>ENOSPC</summary>
    NoSpace,
    /// <summary>EINTR / cancelled.</summary>
    Interrupted,
    /// <summary>EXDEV</summary>
    CrossDevice,
    /// <summary>E2BIG: xattr value too large.</summary>
    TooBig,
    /// <summary>EAGAIN / EBUSY: try again (transient store failure after retries).</summary>
    TryAgain,
}

/// <summary>A value or an error, without exceptions on the hot path.</summary>
public readonly struct VfsResult<T>
{
    private readonly T? _value;

    public VfsError Error { get; }
    public bool IsOk => Error == VfsError.None;
    public T Value => Error == VfsError.None ? _value! : throw new InvalidOperationException($"VfsResult holds error {Error}");

    private VfsResult(T? value, VfsError error)
    {
        _value = value;
        Error = error;
    }

    public static VfsResult<T> Ok(T value) => new(value, VfsError.None);
    public static VfsResult<T> Fail(VfsError error) =>
        error == VfsError.None ? throw new ArgumentException("A failure needs an error", nameof(error)) : new(default, error);

    public static implicit operator VfsResult<T>(T value) => Ok(value);
    public static implicit operator VfsResult<T>(VfsError error) => Fail(error);
}

public enum NodeKind { File, Directory, Symlink }

/// <summary>Attributes of a node. Times are nanoseconds since the Unix epoch.</summary>
public readonly record struct NodeAttributes
{
    public required ulong NodeId { get; init; }
    public required NodeKind Kind { get; init; }
    public long Size { get; init; }
    /// <summary>Permission bits only (e.g. 0644); the file type comes from <see cref="Kind"/>.</summary>
    public uint Mode { get; init; }
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public long ModifiedNs { get; init; }
    public long ChangedNs { get; init; }
    public long AccessedNs { get; init; }
    public long CreatedNs { get; init; }
    /// <summary>Number of links (1 for files; 2 for directories).</summary>
    public uint LinkCount { get; init; }
    /// <summary>How long the adapter may let the kernel cache these attributes / this entry.</summary>
    public TimeSpan CacheFor { get; init; }
}

/// <summary>Changes requested by setattr; null = unchanged.</summary>
public readonly record struct SetAttributes
{
    public long? Size { get; init; }
    public long? ModifiedNs { get; init; }
    public long? AccessedNs { get; init; }
    public uint? Mode { get; init; }
    public uint? Uid { get; init; }
    public uint? Gid { get; init; }
}

[Flags]
public enum OpenFlags
{
    None = 0,
    Read = 1,
    Write = 2,
    ReadWrite = Read | Write,
    Truncate = 4,
    Append = 8,
    Exclusive = 16,
}

[Flags]
public enum RenameFlags
{
    None = 0,
    /// <summary>Fail with <see cref="VfsError.Exists"/> when the target exists.</summary>
    NoReplace = 1,
    /// <summary>Atomic exchange: not supported (gives <see cref="VfsError.NotSupported"/>).</summary>
    Exchange = 2,
}

[Flags]
public enum XattrFlags
{
    None = 0,
    /// <summary>XATTR_CREATE: fail with Exists if it exists.</summary>
    Create = 1,
    /// <summary>XATTR_REPLACE: fail with NoData if it does not exist.</summary>
    Replace = 2,
}

/// <summary>A created (and opened) file.</summary>
public readonly record struct CreatedFile(NodeAttributes Attributes, ulong Handle);

/// <summary>One directory entry with its full attributes and the cookie of the entry after it.</summary>
public readonly record struct DirectoryEntry(string Name, NodeAttributes Attributes, long NextCookie);

/// <summary>statfs figures. Object stores have no real capacity; we report a large, stable one.</summary>
public readonly record struct FileSystemStats(ulong TotalBlocks, ulong FreeBlocks, ulong AvailableBlocks, ulong TotalFiles,
    ulong FreeFiles, uint BlockSize, uint MaxNameLength);
