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

    /// <summary>A node's attributes; with an open <paramref name="handle"/>, those of that handle's view (a staged file's current size).</summary>
    ValueTask<VfsResult<NodeAttributes>> GetAttributesAsync(ulong node, ulong? handle = null, CancellationToken ct = default);

    /// <summary>Truncate/extend, times, mode/uid/gid (kept in object metadata).</summary>
    ValueTask<VfsResult<NodeAttributes>> SetAttributesAsync(ulong node, ulong? handle, SetAttributes changes, CancellationToken ct = default);

    /// <summary>Opens a file; returns a handle id. <see cref="OpenFlags.Truncate"/> truncates at open.</summary>
    ValueTask<VfsResult<ulong>> OpenAsync(ulong node, OpenFlags flags, CancellationToken ct = default);

    /// <summary>
    /// Creates a file (or opens it when it exists and <see cref="OpenFlags.Exclusive"/> is not set); the lookup count
    /// goes up by one. A new file belongs to <paramref name="owner"/> (null: the mount's owner).
    /// </summary>
    ValueTask<VfsResult<CreatedFile>> CreateAsync(ulong parent, string name, uint mode, OpenFlags flags, FileOwner? owner = null, CancellationToken ct = default);

    /// <summary>Reads up to <c>buffer.Length</c> bytes at <paramref name="offset"/>; fewer bytes only at end of file.</summary>
    ValueTask<VfsResult<int>> ReadAsync(ulong handle, long offset, Memory<byte> buffer, CancellationToken ct = default);

    /// <summary>
    /// Writes to the handle's staged copy; returns the byte count written and the file's attributes after the write
    /// (its staged size and the time of this change), which an adapter that answers a write with them (WinFsp) passes
    /// on instead of asking again.
    /// </summary>
    ValueTask<VfsResult<WrittenBytes>> WriteAsync(ulong handle, long offset, ReadOnlyMemory<byte> data, CancellationToken ct = default);

    /// <summary>Uploads staged changes (close-to-open: when this succeeds the object is durable).</summary>
    ValueTask<VfsError> FlushAsync(ulong handle, CancellationToken ct = default);

    /// <summary>
    /// Like <see cref="FlushAsync"/>, answering with the file's attributes once its bytes are durable, which an
    /// adapter that answers a flush with them (WinFsp) passes on instead of asking again.
    /// </summary>
    ValueTask<VfsResult<NodeAttributes>> FlushAndGetAttributesAsync(ulong handle, CancellationToken ct = default);

    /// <summary>Like <see cref="FlushAsync"/>: the staged bytes are uploaded and durable when it succeeds.</summary>
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

    /// <summary>Closes a directory handle and drops its snapshot.</summary>
    ValueTask<VfsError> ReleaseDirectoryAsync(ulong directoryHandle, CancellationToken ct = default);

    /// <summary>
    /// Creates a directory by writing a <c>name/</c> placeholder object, so it persists while empty; the lookup count
    /// goes up by one. It belongs to <paramref name="owner"/> (null: the mount's owner).
    /// </summary>
    ValueTask<VfsResult<NodeAttributes>> MakeDirectoryAsync(ulong parent, string name, uint mode, FileOwner? owner = null, CancellationToken ct = default);

    /// <summary>Removes an empty directory (its placeholder object, if any); <see cref="VfsError.NotEmpty"/> otherwise.</summary>
    ValueTask<VfsError> RemoveDirectoryAsync(ulong parent, string name, CancellationToken ct = default);

    /// <summary>Deletes a file's object, conditional on the generation last seen.</summary>
    ValueTask<VfsError> UnlinkAsync(ulong parent, string name, CancellationToken ct = default);

    /// <summary>
    /// Renames a file (server-side copy, then a conditional delete of the source) or a directory (the same for each
    /// object under it: not atomic).
    /// </summary>
    ValueTask<VfsError> RenameAsync(ulong parent, string name, ulong newParent, string newName, RenameFlags flags, CancellationToken ct = default);

    /// <summary>
    /// Creates a symbolic link, stored as gcsfuse stores one so both tools see the same link; the lookup count goes
    /// up by one. It belongs to <paramref name="owner"/> (null: the mount's owner).
    /// </summary>
    ValueTask<VfsResult<NodeAttributes>> SymlinkAsync(ulong parent, string name, string target, FileOwner? owner = null, CancellationToken ct = default);

    /// <summary>The target of a symbolic link; <see cref="VfsError.InvalidArgument"/> for a node that is not one.</summary>
    ValueTask<VfsResult<string>> ReadLinkAsync(ulong node, CancellationToken ct = default);

    /// <summary>The value of an extended attribute; <see cref="VfsError.NoData"/> when absent.</summary>
    ValueTask<VfsResult<byte[]>> GetXattrAsync(ulong node, string name, CancellationToken ct = default);

    /// <summary>The names of the node's extended attributes (README lists them: <c>user.octue.*</c>, <c>user.gcs.*</c>).</summary>
    ValueTask<VfsResult<IReadOnlyList<string>>> ListXattrAsync(ulong node, CancellationToken ct = default);

    /// <summary>
    /// Sets an extended attribute: a metadata patch of the object, or a rewrite of the dataset's <c>.octue</c>, with
    /// preconditions. Invalid tags give <see cref="VfsError.InvalidArgument"/> and change nothing.
    /// </summary>
    ValueTask<VfsError> SetXattrAsync(ulong node, string name, ReadOnlyMemory<byte> value, XattrFlags flags, CancellationToken ct = default);

    /// <summary>Removes an extended attribute (the same way <see cref="SetXattrAsync"/> writes one); <see cref="VfsError.NoData"/> when absent.</summary>
    ValueTask<VfsError> RemoveXattrAsync(ulong node, string name, CancellationToken ct = default);

    /// <summary>The figures statfs reports.</summary>
    FileSystemStats GetStats();

    /// <summary>
    /// For a handle open for reading only: a local file holding exactly the bytes its reads return (a whole, verified
    /// cached copy), which an adapter may let the kernel read directly (FUSE passthrough); null when there is none,
    /// and always for handles that can write.
    /// </summary>
    string? GetPassthroughFile(ulong handle) => null;
}

/// <summary>Where the VFS sends invalidations of kernel caches. Implementations must not block the caller.</summary>
public interface IInvalidationSink
{
    /// <summary>The name in the directory changed or vanished.</summary>
    void InvalidateEntry(ulong parent, string name);

    /// <summary>The node's attributes and data changed.</summary>
    void InvalidateNode(ulong node);

    /// <summary>
    /// The node's attributes changed in a way the kernel did not see: when this returns, the kernel holds none of them.
    /// Unlike <see cref="InvalidateNode"/> it is done before returning, so the reply that follows cannot be overtaken by
    /// a stat served from the old attributes; dropping only attributes takes no lock a request in flight could hold.
    /// </summary>
    void InvalidateAttributes(ulong node);
}

/// <summary>A platform-neutral error; adapters map it to errno / NTSTATUS.</summary>
public enum VfsError
{
    /// <summary>Success.</summary>
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
    /// <summary>EFBIG: the file would grow past the largest object the store accepts.</summary>
    FileTooBig,
}

/// <summary>A value or an error, without exceptions on the hot path.</summary>
public readonly struct VfsResult<T>
{
    private readonly T? _value;

    /// <summary>The error; <see cref="VfsError.None"/> when the result holds a value.</summary>
    public VfsError Error { get; }

    /// <summary>True when the result holds a value.</summary>
    public bool IsOk => Error == VfsError.None;

    /// <summary>The value; throws <see cref="InvalidOperationException"/> when the result holds an error.</summary>
    public T Value => Error == VfsError.None ? _value! : throw new InvalidOperationException($"VfsResult holds error {Error}");

    private VfsResult(T? value, VfsError error)
    {
        _value = value;
        Error = error;
    }

    /// <summary>A result holding <paramref name="value"/>.</summary>
    public static VfsResult<T> Ok(T value) => new(value, VfsError.None);

    /// <summary>A result holding <paramref name="error"/>, which must not be <see cref="VfsError.None"/>.</summary>
    public static VfsResult<T> Fail(VfsError error) =>
        error == VfsError.None ? throw new ArgumentException("A failure needs an error", nameof(error)) : new(default, error);

    /// <summary>Lets a method return its value directly.</summary>
    public static implicit operator VfsResult<T>(T value) => Ok(value);

    /// <summary>Lets a method return its error directly.</summary>
    public static implicit operator VfsResult<T>(VfsError error) => Fail(error);
}

/// <summary>What a node is.</summary>
public enum NodeKind
{
    /// <summary>A regular file: one object.</summary>
    File,
    /// <summary>A directory: a prefix (with or without a placeholder object), a dataset, a manifest's root, a bucket.</summary>
    Directory,
    /// <summary>A symbolic link: an object carrying its target, as gcsfuse stores it.</summary>
    Symlink,
}

/// <summary>Attributes of a node. Times are nanoseconds since the Unix epoch.</summary>
public readonly record struct NodeAttributes
{
    /// <summary>The node's id: the handle adapters pass back (FUSE's nodeid), never reused within a mount.</summary>
    public required ulong NodeId { get; init; }

    /// <summary>
    /// The inode number shown to programs (st_ino, Windows' file index): the same for a name for the whole life of
    /// the mount, whatever the kernel forgets, and across mounts of the same source while the name is not renamed.
    /// 0 only in attributes made outside the file system (adapters then show <see cref="NodeId"/>).
    /// </summary>
    public ulong Inode { get; init; }

    /// <summary>File, directory or symbolic link.</summary>
    public required NodeKind Kind { get; init; }

    /// <summary>Size in bytes (a symbolic link's is its target's length; directories report 0).</summary>
    public long Size { get; init; }
    /// <summary>Permission bits only (e.g. 0644); the file type comes from <see cref="Kind"/>.</summary>
    public uint Mode { get; init; }
    /// <summary>Owner: from <c>goog-reserved-posix-uid</c>, else the mount's.</summary>
    public uint Uid { get; init; }

    /// <summary>Group: from <c>goog-reserved-posix-gid</c>, else the mount's.</summary>
    public uint Gid { get; init; }

    /// <summary>mtime: from <c>goog-reserved-file-mtime</c> (or gcsfuse's / rclone's key), else the object's update time; the mount time for a directory with no placeholder.</summary>
    public long ModifiedNs { get; init; }

    /// <summary>ctime: when the object or its metadata last changed.</summary>
    public long ChangedNs { get; init; }

    /// <summary>atime: object stores keep none, so the mtime.</summary>
    public long AccessedNs { get; init; }

    /// <summary>Birth time: when the object's generation was created.</summary>
    public long CreatedNs { get; init; }
    /// <summary>Number of links: 1 for files (0 once unlinked while open); 2 for directories.</summary>
    public uint LinkCount { get; init; }
    /// <summary>How long the adapter may let the kernel cache these attributes / this entry.</summary>
    public TimeSpan CacheFor { get; init; }
}

/// <summary>Changes requested by setattr; null = unchanged.</summary>
public readonly record struct SetAttributes
{
    /// <summary>Truncate or extend to this size (staged, uploaded on flush/close).</summary>
    public long? Size { get; init; }

    /// <summary>New mtime, nanoseconds since the Unix epoch.</summary>
    public long? ModifiedNs { get; init; }

    /// <summary>New atime, nanoseconds since the Unix epoch.</summary>
    public long? AccessedNs { get; init; }

    /// <summary>New permission bits.</summary>
    public uint? Mode { get; init; }

    /// <summary>New owner.</summary>
    public uint? Uid { get; init; }

    /// <summary>New group.</summary>
    public uint? Gid { get; init; }
}

/// <summary>How a file is opened (the platform-neutral subset of O_* / CreateOptions).</summary>
[Flags]
public enum OpenFlags
{
    /// <summary>No access asked for.</summary>
    None = 0,
    /// <summary>For reading.</summary>
    Read = 1,
    /// <summary>For writing: writes go to a staged copy.</summary>
    Write = 2,
    /// <summary>For reading and writing.</summary>
    ReadWrite = Read | Write,
    /// <summary>O_TRUNC: the file is emptied at open.</summary>
    Truncate = 4,
    /// <summary>O_APPEND: every write goes to the end.</summary>
    Append = 8,
    /// <summary>O_EXCL with create: fail with <see cref="VfsError.Exists"/> when the file exists.</summary>
    Exclusive = 16,
}

/// <summary>renameat2 flags.</summary>
[Flags]
public enum RenameFlags
{
    /// <summary>Replace the target if it exists.</summary>
    None = 0,
    /// <summary>Fail with <see cref="VfsError.Exists"/> when the target exists.</summary>
    NoReplace = 1,
    /// <summary>Atomic exchange: not supported (gives <see cref="VfsError.InvalidArgument"/>, as rename(2) documents for an unsupported flag).</summary>
    Exchange = 2,
}

/// <summary>setxattr flags.</summary>
[Flags]
public enum XattrFlags
{
    /// <summary>Create or replace.</summary>
    None = 0,
    /// <summary>XATTR_CREATE: fail with Exists if it exists.</summary>
    Create = 1,
    /// <summary>XATTR_REPLACE: fail with NoData if it does not exist.</summary>
    Replace = 2,
}

/// <summary>
/// Who creates a file, folder or link: its owner from then on, kept in object metadata as chown keeps one. On Linux the
/// caller of the system call (another user of an <c>allow_other</c> mount); null means the mount's own owner.
/// </summary>
/// <param name="Uid">The creator's user id.</param>
/// <param name="Gid">The creator's group id.</param>
public readonly record struct FileOwner(uint Uid, uint Gid);

/// <summary>A created (and opened) file.</summary>
/// <param name="Attributes">The new file's attributes.</param>
/// <param name="Handle">The handle it is open under, for reads, writes and release.</param>
public readonly record struct CreatedFile(NodeAttributes Attributes, ulong Handle);

/// <summary>What a write did.</summary>
/// <param name="Count">The bytes written (all of them: a short write is an error).</param>
/// <param name="Attributes">The file's attributes after the write: the staged size and the time of this change.</param>
public readonly record struct WrittenBytes(int Count, NodeAttributes Attributes);

/// <summary>One directory entry with its full attributes and the cookie of the entry after it.</summary>
/// <param name="Name">The entry's name in its directory.</param>
/// <param name="Attributes">Its attributes, taken from the listing.</param>
/// <param name="NextCookie">The cookie that resumes the listing after this entry.</param>
public readonly record struct DirectoryEntry(string Name, NodeAttributes Attributes, long NextCookie);

/// <summary>statfs figures. Object stores have no real capacity; we report a large, stable one.</summary>
/// <param name="TotalBlocks">Size of the file system in <paramref name="BlockSize"/> blocks.</param>
/// <param name="FreeBlocks">Free blocks.</param>
/// <param name="AvailableBlocks">Free blocks an unprivileged user may use.</param>
/// <param name="TotalFiles">Inodes in all.</param>
/// <param name="FreeFiles">Free inodes.</param>
/// <param name="BlockSize">Bytes per block.</param>
/// <param name="MaxNameLength">Longest file name, in bytes.</param>
public readonly record struct FileSystemStats(ulong TotalBlocks, ulong FreeBlocks, ulong AvailableBlocks, ulong TotalFiles,
    ulong FreeFiles, uint BlockSize, uint MaxNameLength);
