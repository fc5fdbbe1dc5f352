using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// The attributes a node shows: a directory's (from its placeholder, or the mount's defaults and start time), an
/// object's, a file being written (its staged copy), a file whose upload is pending. One place holds the mount's
/// defaults (modes, owner, whether setuid bits show) and how long the kernel may cache what it is told.
/// </summary>
internal sealed class AttributeBuilder
{
    private readonly FileSystemOptions _options;
    private readonly long _mountTimeNs;

    public AttributeBuilder(FileSystemOptions options)
    {
        _options = options;
        _mountTimeNs = PosixMetadata.ToNs(options.TimeProvider.GetUtcNow());
        DefaultUid = options.Uid ?? 0;
        DefaultGid = options.Gid ?? 0;
    }

    /// <summary>The owner shown for nodes whose object records none.</summary>
    public uint DefaultUid { get; }

    /// <summary>The group shown for nodes whose object records none.</summary>
    public uint DefaultGid { get; }

    /// <summary>Now, in nanoseconds since the epoch, on the options' clock (a test's fake clock sets every stamp).</summary>
    public long NowNs() => PosixMetadata.ToNs(_options.TimeProvider.GetUtcNow());

    /// <summary>
    /// The POSIX metadata of a new file, folder or link: its mode (0 is a mode, as with umask 777, not "none") and its
    /// creator as owner, each only where it differs from what the mount shows by default, as chmod and chown keep them.
    /// </summary>
    public Dictionary<string, string> NewObjectMetadata(uint? permissions, uint defaultPermissions, FileOwner? owner) =>
        PosixMetadata.Ownership(permissions == defaultPermissions ? null : permissions,
            owner is { } o && o.Uid != DefaultUid ? o.Uid : null,
            owner is { } g && g.Gid != DefaultGid ? g.Gid : null);

    public NodeAttributes Directory(Node node, ObjectInfo? placeholder = null)
    {
        var modified = placeholder is null ? _mountTimeNs : PosixMetadata.ModifiedNs(placeholder);
        return new NodeAttributes
        {
            NodeId = node.Id,
            Inode = node.Inode,
            Kind = NodeKind.Directory,
            Size = 0,
            Mode = placeholder is null ? _options.DirectoryMode : PosixMetadata.Mode(placeholder, _options.AllowSetuid) ?? _options.DirectoryMode,
            Uid = (placeholder is null ? null : PosixMetadata.Uid(placeholder)) ?? DefaultUid,
            Gid = (placeholder is null ? null : PosixMetadata.Gid(placeholder)) ?? DefaultGid,
            ModifiedNs = modified,
            // A placeholder's update time moves with every chmod/chown/touch of the directory, as a ctime does.
            ChangedNs = placeholder is null ? modified : PosixMetadata.ToNs(placeholder.Updated),
            AccessedNs = modified,
            CreatedNs = placeholder is null ? modified : PosixMetadata.ToNs(placeholder.Created),
            LinkCount = 2,
            CacheFor = _options.MetadataTtl,
        };
    }

    public NodeAttributes Object(Node node, ObjectInfo info)
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
            Uid = PosixMetadata.Uid(info) ?? DefaultUid,
            Gid = PosixMetadata.Gid(info) ?? DefaultGid,
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
    public NodeAttributes Staged(Node node, FileHandle handle)
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
            Uid = PosixMetadata.ParseUInt(metadata, PosixMetadata.UidKey) ?? DefaultUid,
            Gid = PosixMetadata.ParseUInt(metadata, PosixMetadata.GidKey) ?? DefaultGid,
            ModifiedNs = modified,
            ChangedNs = modified,
            AccessedNs = modified,
            CreatedNs = created,
            LinkCount = node.Detached ? 0u : 1u,
            // Cached like any other attributes: every change to a file being written reaches the daemon through the
            // kernel, which updates or drops its copy itself (a WRITE drops size and times, a SETATTR takes its reply),
            // so other handles' stat stays exact. Not caching them cost `cp` two GETATTRs a file (the open's permission
            // check and its fstat), each a round trip. The one change the kernel does not see, a close whose upload
            // lost a race, drops the kernel's copy (OctueFileSystem.UploadIfDirtyAsync).
            CacheFor = _options.MetadataTtl,
        };
    }

    /// <summary>Attributes of a file whose upload is pending: its staged size, metadata and times.</summary>
    public NodeAttributes Pending(Node node, PendingUpload pending)
    {
        var metadata = pending.Staged.Sidecar.Metadata;
        return new NodeAttributes
        {
            NodeId = node.Id,
            Kind = NodeKind.File,
            Size = pending.Staged.Length,
            Mode = PosixMetadata.ParseMode(metadata.GetValueOrDefault(PosixMetadata.ModeKey), _options.AllowSetuid) ?? _options.FileMode,
            Uid = PosixMetadata.ParseUInt(metadata, PosixMetadata.UidKey) ?? DefaultUid,
            Gid = PosixMetadata.ParseUInt(metadata, PosixMetadata.GidKey) ?? DefaultGid,
            ModifiedNs = pending.ModifiedNs,
            ChangedNs = pending.ModifiedNs,
            AccessedNs = pending.ModifiedNs,
            CreatedNs = pending.ModifiedNs,
            LinkCount = 1,
            CacheFor = TimeSpan.Zero,
        };
    }
}
