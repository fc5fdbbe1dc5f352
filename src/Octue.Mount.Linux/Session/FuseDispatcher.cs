using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Octue.Mount.Linux.Protocol;
using Octue.Mount.Vfs;

namespace Octue.Mount.Linux.Session;

/// <summary>
/// Translates each FUSE opcode into an <see cref="IFileSystem"/> call and its result into exactly one reply.
/// It holds no file-system policy: errors come from the VFS and are only mapped to errno. One short handler per opcode,
/// kept side by side, is why the file passes 400 lines.
/// </summary>
internal sealed class FuseDispatcher
{
    private const uint AllPermissionBits = FileModes.PermissionMask;

    private readonly IFileSystem _fs;
    private readonly FuseReplySender _reply;
    private readonly ILogger _logger;
    private readonly uint _mountingUser;
    private readonly PassthroughFiles? _passthrough;

    /// <param name="mountingUser">
    /// The user who serves the mount (by default this process's): what it creates belongs to the mount's owner
    /// (<c>--uid</c>/<c>--gid</c>), so root can fill a mount made for another user. What other users create
    /// (allow_other) belongs to them.
    /// </param>
    public FuseDispatcher(IFileSystem fs, FuseReplySender reply, ILogger logger, PassthroughFiles? passthrough = null, uint? mountingUser = null)
    {
        _fs = fs;
        _reply = reply;
        _logger = logger;
        _passthrough = passthrough;
        _mountingUser = mountingUser ?? Native.LibC.GetEuid();
    }

    /// <summary>True once SETXATTR_EXT was negotiated (then <c>fuse_setxattr_in</c> is 16 bytes).</summary>
    public bool SetxattrExt { get; set; }

    /// <summary>Handles a request; never throws, and always answers (except where the protocol forbids an answer).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask HandleAsync(FuseRequest request)
    {
        try
        {
            await DispatchAsync(request).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (request.Interrupted)
        {
            if (!request.Replied)
                _reply.Error(request, Errno.EINTR);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "{Opcode} on node {Node} failed", request.Header.Opcode, request.NodeId);
            if (!request.Replied)
                _reply.Error(request, Errno.EIO);
        }
    }

    /// <summary>FORGET and BATCH_FORGET: lookup counts go down; the kernel must never get a reply.</summary>
    public void HandleForget(in FuseInHeader header, ReadOnlySpan<byte> args)
    {
        var reader = new FuseArgReader(args);
        if (header.Opcode == FuseOpcode.Forget)
        {
            if (reader.TryRead(out FuseForgetIn forget))
                _fs.Forget(header.NodeId, forget.NLookup);
            return;
        }
        if (!reader.TryRead(out FuseBatchForgetIn batch))
            return;
        for (var i = 0u; i < batch.Count && reader.TryRead(out FuseForgetOne one); i++)
            _fs.Forget(one.NodeId, one.NLookup);
    }

    private ValueTask DispatchAsync(FuseRequest request) => request.Header.Opcode switch
    {
        FuseOpcode.Lookup => LookupAsync(request),
        FuseOpcode.GetAttr => GetAttrAsync(request),
        FuseOpcode.SetAttr => SetAttrAsync(request),
        FuseOpcode.ReadLink => ReadLinkAsync(request),
        FuseOpcode.Symlink => SymlinkAsync(request),
        FuseOpcode.MkNod => MkNodAsync(request),
        FuseOpcode.MkDir => MkDirAsync(request),
        FuseOpcode.Unlink => UnlinkAsync(request),
        FuseOpcode.RmDir => RmDirAsync(request),
        FuseOpcode.Rename => RenameAsync(request, plain: true),
        FuseOpcode.Rename2 => RenameAsync(request, plain: false),
        FuseOpcode.Open => OpenAsync(request),
        FuseOpcode.Read => ReadAsync(request),
        FuseOpcode.Write => WriteAsync(request),
        FuseOpcode.StatFs => StatFs(request),
        FuseOpcode.Release => ReleaseAsync(request),
        FuseOpcode.Fsync => FsyncAsync(request),
        FuseOpcode.SetXattr => SetXattrAsync(request),
        FuseOpcode.GetXattr => GetXattrAsync(request),
        FuseOpcode.ListXattr => ListXattrAsync(request),
        FuseOpcode.RemoveXattr => RemoveXattrAsync(request),
        FuseOpcode.Flush => FlushAsync(request),
        FuseOpcode.OpenDir => OpenDirAsync(request),
        FuseOpcode.ReadDir => ReadDirAsync(request, plus: false),
        FuseOpcode.ReadDirPlus => ReadDirAsync(request, plus: true),
        FuseOpcode.ReleaseDir => ReleaseDirAsync(request),
        FuseOpcode.Create => CreateAsync(request),
        // Permission checks belong to the kernel (default_permissions); without them access(2) is allowed.
        FuseOpcode.Access or FuseOpcode.FsyncDir => Empty(request),
        // Hard links cannot be represented in an object store.
        FuseOpcode.Link => Fail(request, Errno.EPERM),
        // Sticky ENOSYS: the kernel falls back for ever (generic lseek, userspace copy, GETATTR instead of STATX, ...);
        // O_TMPFILE then fails with EOPNOTSUPP without asking again.
        FuseOpcode.Lseek or FuseOpcode.CopyFileRange or FuseOpcode.CopyFileRange64 or FuseOpcode.Statx or
            FuseOpcode.SyncFs or FuseOpcode.Bmap or FuseOpcode.Ioctl or FuseOpcode.Poll or FuseOpcode.GetLk or
            FuseOpcode.SetLk or FuseOpcode.SetLkW or FuseOpcode.SetupMapping or FuseOpcode.RemoveMapping or
            FuseOpcode.TmpFile
            => Fail(request, Errno.ENOSYS),
        // Preallocation means nothing to an object store; callers such as posix_fallocate then write zeros themselves.
        FuseOpcode.Fallocate => Fail(request, Errno.EOPNOTSUPP),
        _ => Fail(request, Errno.ENOSYS),
    };

    private ValueTask Fail(FuseRequest request, int errno)
    {
        _reply.Error(request, errno);
        return ValueTask.CompletedTask;
    }

    private ValueTask Empty(FuseRequest request)
    {
        _reply.Empty(request);
        return ValueTask.CompletedTask;
    }

    private void ReplyStatus(FuseRequest request, VfsError error)
    {
        if (error == VfsError.None)
            _reply.Empty(request);
        else
            _reply.Error(request, ErrnoMap.ToErrno(error));
    }

    /// <summary>Sends an entry; if the kernel never takes it (interrupted meanwhile), the lookup it counted is undone.</summary>
    private void ReplyEntry(FuseRequest request, in NodeAttributes attributes)
    {
        var entry = AttrMapper.ToEntry(attributes);
        if (!_reply.Struct(request, in entry))
            _fs.Forget(attributes.NodeId, 1);
    }

    private void ReplyAttr(FuseRequest request, VfsResult<NodeAttributes> result)
    {
        if (!result.IsOk)
        {
            _reply.Error(request, ErrnoMap.ToErrno(result.Error));
            return;
        }
        var attr = AttrMapper.ToAttrOut(result.Value);
        _reply.Struct(request, in attr);
    }

    private void ReplyEntryResult(FuseRequest request, VfsResult<NodeAttributes> result)
    {
        if (result.IsOk)
            ReplyEntry(request, result.Value);
        else
            _reply.Error(request, ErrnoMap.ToErrno(result.Error));
    }

    /// <summary>The owner of what a request creates: its caller, unless that is the user serving the mount.</summary>
    internal FileOwner? OwnerOf(in FuseInHeader header) => header.Uid == _mountingUser ? null : new FileOwner(header.Uid, header.Gid);

    private static bool TryName(FuseRequest request, out string name)
    {
        var reader = new FuseArgReader(request.Args);
        return reader.TryReadName(out name);
    }

    private static bool TryStructAndName<T>(FuseRequest request, out T value, out string name) where T : unmanaged
    {
        var reader = new FuseArgReader(request.Args);
        name = string.Empty;
        return reader.TryRead(out value) && reader.TryReadName(out name);
    }

    private static bool TryStruct<T>(FuseRequest request, out T value) where T : unmanaged
    {
        var reader = new FuseArgReader(request.Args);
        return reader.TryRead(out value);
    }

    private async ValueTask LookupAsync(FuseRequest request)
    {
        if (!TryName(request, out var name))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        ReplyEntryResult(request, await _fs.LookupAsync(request.NodeId, name, request.Token).ConfigureAwait(false));
    }

    private async ValueTask GetAttrAsync(FuseRequest request)
    {
        ulong? handle = null;
        if (TryStruct(request, out FuseGetAttrIn getattr) && (getattr.GetAttrFlags & FuseGetAttrIn.GetAttrFh) != 0)
            handle = getattr.Fh;
        ReplyAttr(request, await _fs.GetAttributesAsync(request.NodeId, handle, request.Token).ConfigureAwait(false));
    }

    private async ValueTask SetAttrAsync(FuseRequest request)
    {
        if (!TryStruct(request, out FuseSetAttrIn setattr))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        if (_logger.IsEnabled(LogLevel.Trace))
            _logger.LogTrace("SetAttr node {Node}: {Valid} mode {Mode} size {Size}", request.NodeId, setattr.Valid, setattr.Mode, setattr.FileSize);
        var changes = ToSetAttributes(setattr, DateTimeOffset.UtcNow);
        ulong? handle = (setattr.Valid & SetAttrValid.Fh) != 0 ? setattr.Fh : null;
        ReplyAttr(request, await _fs.SetAttributesAsync(request.NodeId, handle, changes, request.Token).ConfigureAwait(false));
    }

    /// <summary>Maps <c>fuse_setattr_in</c> to the VFS's change set; "now" times use the daemon's clock.</summary>
    internal static SetAttributes ToSetAttributes(in FuseSetAttrIn setattr, DateTimeOffset now)
    {
        var valid = setattr.Valid;
        var nowNs = (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        long? modified = (valid & SetAttrValid.MTimeNow) != 0 ? nowNs
            : (valid & SetAttrValid.MTime) != 0 ? AttrMapper.Join(setattr.MTime, setattr.MTimeNsec) : null;
        long? accessed = (valid & SetAttrValid.ATimeNow) != 0 ? nowNs
            : (valid & SetAttrValid.ATime) != 0 ? AttrMapper.Join(setattr.ATime, setattr.ATimeNsec) : null;
        return new SetAttributes
        {
            Size = (valid & SetAttrValid.Size) != 0 ? (long)setattr.FileSize : null,
            ModifiedNs = modified,
            AccessedNs = accessed,
            Mode = (valid & SetAttrValid.Mode) != 0 ? setattr.Mode & AllPermissionBits : null,
            Uid = (valid & SetAttrValid.Uid) != 0 ? setattr.Uid : null,
            Gid = (valid & SetAttrValid.Gid) != 0 ? setattr.Gid : null,
        };
    }

    /// <summary>
    /// True for an open that can change nothing: read-only, and neither truncating (Linux truncates on
    /// <c>O_RDONLY|O_TRUNC</c>, and with atomic_o_trunc the open itself does it) nor appending.
    /// </summary>
    internal static bool CannotWrite(uint flags) =>
        (flags & FileModes.AccessModeMask) == FileModes.ReadOnly && (flags & (FileModes.Truncate | FileModes.Append)) == 0;

    /// <summary>Maps open(2) flags as the kernel forwards them to the VFS's <see cref="OpenFlags"/>.</summary>
    internal static OpenFlags ToOpenFlags(uint flags)
    {
        var result = (flags & FileModes.AccessModeMask) switch
        {
            FileModes.WriteOnly => OpenFlags.Write,
            FileModes.ReadWrite => OpenFlags.ReadWrite,
            _ => OpenFlags.Read,
        };
        if ((flags & FileModes.Truncate) != 0)
            result |= OpenFlags.Truncate;
        if ((flags & FileModes.Append) != 0)
            result |= OpenFlags.Append;
        if ((flags & FileModes.Exclusive) != 0)
            result |= OpenFlags.Exclusive;
        return result;
    }

    private async ValueTask ReadLinkAsync(FuseRequest request)
    {
        var result = await _fs.ReadLinkAsync(request.NodeId, request.Token).ConfigureAwait(false);
        if (!result.IsOk)
        {
            _reply.Error(request, ErrnoMap.ToErrno(result.Error));
            return;
        }
        _reply.Bytes(request, Encoding.UTF8.GetBytes(result.Value));
    }

    private async ValueTask SymlinkAsync(FuseRequest request)
    {
        var reader = new FuseArgReader(request.Args);
        if (!reader.TryReadName(out var name) || !reader.TryReadName(out var target))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        ReplyEntryResult(request, await _fs.SymlinkAsync(request.NodeId, name, target, OwnerOf(request.Header), request.Token).ConfigureAwait(false));
    }

    private async ValueTask MkNodAsync(FuseRequest request)
    {
        if (!TryStructAndName(request, out FuseMknodIn mknod, out var name))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        // Only regular files exist in an object store: devices, FIFOs and sockets are refused.
        if ((mknod.Mode & FileModes.TypeMask) != FileModes.Regular)
        {
            _reply.Error(request, Errno.EPERM);
            return;
        }
        var created = await _fs.CreateAsync(request.NodeId, name, mknod.Mode & AllPermissionBits,
            OpenFlags.Write | OpenFlags.Exclusive, OwnerOf(request.Header), request.Token).ConfigureAwait(false);
        if (!created.IsOk)
        {
            _reply.Error(request, ErrnoMap.ToErrno(created.Error));
            return;
        }
        var released = await _fs.ReleaseAsync(created.Value.Handle, request.Token).ConfigureAwait(false);
        if (released != VfsError.None)
        {
            _fs.Forget(created.Value.Attributes.NodeId, 1);
            _reply.Error(request, ErrnoMap.ToErrno(released));
            return;
        }
        ReplyEntry(request, created.Value.Attributes);
    }

    private async ValueTask MkDirAsync(FuseRequest request)
    {
        if (!TryStructAndName(request, out FuseMkdirIn mkdir, out var name))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        ReplyEntryResult(request, await _fs.MakeDirectoryAsync(request.NodeId, name, mkdir.Mode & AllPermissionBits, OwnerOf(request.Header), request.Token).ConfigureAwait(false));
    }

    private async ValueTask UnlinkAsync(FuseRequest request)
    {
        if (!TryName(request, out var name))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        ReplyStatus(request, await _fs.UnlinkAsync(request.NodeId, name, request.Token).ConfigureAwait(false));
    }

    private async ValueTask RmDirAsync(FuseRequest request)
    {
        if (!TryName(request, out var name))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        ReplyStatus(request, await _fs.RemoveDirectoryAsync(request.NodeId, name, request.Token).ConfigureAwait(false));
    }

    private async ValueTask RenameAsync(FuseRequest request, bool plain)
    {
        if (!TryParseRename(request.Args, plain, out var newDir, out var kernelFlags, out var oldName, out var newName))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        // RENAME_EXCHANGE and RENAME_WHITEOUT cannot be done atomically on objects: EINVAL, as rename(2) documents
        // for file systems without them.
        if ((kernelFlags & ~FuseRename2In.NoReplace) != 0)
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        var flags = (kernelFlags & FuseRename2In.NoReplace) != 0 ? RenameFlags.NoReplace : RenameFlags.None;
        ReplyStatus(request, await _fs.RenameAsync(request.NodeId, oldName, newDir, newName, flags, request.Token).ConfigureAwait(false));
    }

    internal static bool TryParseRename(ReadOnlySpan<byte> args, bool plain, out ulong newDir, out uint flags, out string oldName, out string newName)
    {
        var reader = new FuseArgReader(args);
        oldName = newName = string.Empty;
        flags = 0;
        newDir = 0;
        if (plain)
        {
            if (!reader.TryRead(out FuseRenameIn rename))
                return false;
            newDir = rename.NewDir;
        }
        else
        {
            if (!reader.TryRead(out FuseRename2In rename2))
                return false;
            newDir = rename2.NewDir;
            flags = rename2.Flags;
        }
        return reader.TryReadName(out oldName) && reader.TryReadName(out newName);
    }

    private async ValueTask OpenAsync(FuseRequest request)
    {
        if (!TryStruct(request, out FuseOpenIn open))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        var passthrough = _passthrough is { Enabled: true } enabled ? enabled : null;
        // A read-write open of a file that passthrough readers hold could map their backing file shared and writable
        // (PassthroughFiles): refused before the file system opens (and perhaps truncates) anything.
        var reserved = passthrough is not null && (open.Flags & FileModes.AccessModeMask) == FileModes.ReadWrite;
        if (reserved && !passthrough!.TryReserveReadWrite(request.NodeId))
        {
            _logger.LogInformation("Open for reading and writing of node {Node} refused (ETXTBSY) while other opens of it read its cached copy directly (FUSE passthrough); open it for writing only, or once they close",
                request.NodeId);
            _reply.Error(request, Errno.ETXTBSY);
            return;
        }
        var result = await _fs.OpenAsync(request.NodeId, ToOpenFlags(open.Flags) & ~OpenFlags.Exclusive, request.Token).ConfigureAwait(false);
        if (!result.IsOk)
        {
            if (reserved)
                passthrough!.CancelReservation(request.NodeId);
            _reply.Error(request, ErrnoMap.ToErrno(result.Error));
            return;
        }
        var readOnly = CannotWrite(open.Flags);
        // An open that cannot write has nothing to upload at close: its FLUSH would only be a round trip that every
        // close(2) waits for (one of the few per file a `cp -r` out of the mount pays). Opens that can write keep it:
        // their close uploads, and returns only once the object is durable.
        var reply = new FuseOpenOut { Fh = result.Value, OpenFlags = readOnly ? FuseOpenOutFlags.NoFlush : FuseOpenOutFlags.None };
        if (passthrough is not null)
        {
            // A whole, verified local copy: the kernel reads it itself. Only for opens that cannot write.
            Answer(ref reply, passthrough.Open(request.NodeId, result.Value, readOnly ? _fs.GetPassthroughFile(result.Value) : null, reserved));
        }
        if (!_reply.Struct(request, in reply))
        {
            _passthrough?.Release(result.Value);
            await _fs.ReleaseAsync(result.Value, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async ValueTask CreateAsync(FuseRequest request)
    {
        if (!TryStructAndName(request, out FuseCreateIn create, out var name))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        var result = await _fs.CreateAsync(request.NodeId, name, create.Mode & AllPermissionBits, ToOpenFlags(create.Flags), OwnerOf(request.Header), request.Token).ConfigureAwait(false);
        if (!result.IsOk)
        {
            _reply.Error(request, ErrnoMap.ToErrno(result.Error));
            return;
        }
        var entry = AttrMapper.ToEntry(result.Value.Attributes);
        var open = new FuseOpenOut { Fh = result.Value.Handle };
        // CREATE reaches an existing file only when the kernel believed its name absent (a race with its creation
        // elsewhere); if passthrough readers hold that file, the open is answered on their backing id (direct I/O).
        if (_passthrough is { Enabled: true } passthrough)
            Answer(ref open, passthrough.Open(result.Value.Attributes.NodeId, result.Value.Handle, backingFile: null));
        if (!_reply.Structs(request, in entry, in open))
        {
            _passthrough?.Release(result.Value.Handle);
            _fs.Forget(result.Value.Attributes.NodeId, 1);
            await _fs.ReleaseAsync(result.Value.Handle, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Puts a passthrough answer into an OPEN or CREATE reply (nothing for an ordinary open).</summary>
    private static void Answer(ref FuseOpenOut reply, PassthroughAnswer answer)
    {
        if (answer.BackingId <= 0)
            return;
        reply.OpenFlags |= FuseOpenOutFlags.Passthrough;
        if (answer.Direct)
            reply.OpenFlags |= FuseOpenOutFlags.DirectIo;
        reply.BackingId = answer.BackingId;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReadAsync(FuseRequest request)
    {
        if (!TryStruct(request, out FuseReadIn read))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        var size = (int)read.ReadSize;
        // The reply is built in the request's own buffer (max_write plus a page, pinned), whose arguments were copied
        // out above: no second buffer per READ. A READ larger than that (never sent with max_read = max_write) gets
        // a pooled one.
        var own = FuseOutHeader.Size + size <= request.Buffer.Length;
        var buffer = own ? request.Buffer : ArrayPool<byte>.Shared.Rent(FuseOutHeader.Size + size);
        try
        {
            var result = await _fs.ReadAsync(read.Fh, (long)read.Offset, buffer.AsMemory(FuseOutHeader.Size, size), request.Token).ConfigureAwait(false);
            if (result.IsOk)
                _reply.Data(request, buffer, result.Value);
            else
                _reply.Error(request, ErrnoMap.ToErrno(result.Error));
        }
        finally
        {
            if (!own)
                ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask WriteAsync(FuseRequest request)
    {
        var reader = new FuseArgReader(request.Args);
        if (!reader.TryRead(out FuseWriteIn write) || reader.Remaining < write.WriteSize)
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        var data = request.ArgsMemory(reader.Position, (int)write.WriteSize);
        var result = await _fs.WriteAsync(write.Fh, (long)write.Offset, data, request.Token).ConfigureAwait(false);
        if (!result.IsOk)
        {
            _reply.Error(request, ErrnoMap.ToErrno(result.Error));
            return;
        }
        var reply = new FuseWriteOut { WrittenSize = (uint)result.Value.Count };
        _reply.Struct(request, in reply);
    }

    private ValueTask StatFs(FuseRequest request)
    {
        var stats = _fs.GetStats();
        var reply = new FuseStatfsOut
        {
            Blocks = stats.TotalBlocks,
            BlocksFree = stats.FreeBlocks,
            BlocksAvailable = stats.AvailableBlocks,
            Files = stats.TotalFiles,
            FilesFree = stats.FreeFiles,
            BlockSize = stats.BlockSize,
            NameLength = stats.MaxNameLength,
            FragmentSize = stats.BlockSize,
        };
        _reply.Struct(request, in reply);
        return ValueTask.CompletedTask;
    }

    private async ValueTask ReleaseAsync(FuseRequest request)
    {
        if (!TryStruct(request, out FuseReleaseIn release))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        // The handle goes away whatever the caller does: release is not interruptible.
        _passthrough?.Release(release.Fh);
        ReplyStatus(request, await _fs.ReleaseAsync(release.Fh, CancellationToken.None).ConfigureAwait(false));
    }

    private async ValueTask FlushAsync(FuseRequest request)
    {
        if (!TryStruct(request, out FuseFlushIn flush))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        ReplyStatus(request, await _fs.FlushAsync(flush.Fh, request.Token).ConfigureAwait(false));
    }

    private async ValueTask FsyncAsync(FuseRequest request)
    {
        if (!TryStruct(request, out FuseFsyncIn fsync))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        ReplyStatus(request, await _fs.FsyncAsync(fsync.Fh, request.Token).ConfigureAwait(false));
    }

    private async ValueTask OpenDirAsync(FuseRequest request)
    {
        var result = await _fs.OpenDirectoryAsync(request.NodeId, request.Token).ConfigureAwait(false);
        if (!result.IsOk)
        {
            _reply.Error(request, ErrnoMap.ToErrno(result.Error));
            return;
        }
        var reply = new FuseOpenOut { Fh = result.Value };
        if (!_reply.Struct(request, in reply))
            await _fs.ReleaseDirectoryAsync(result.Value, CancellationToken.None).ConfigureAwait(false);
    }

    private async ValueTask ReleaseDirAsync(FuseRequest request)
    {
        if (!TryStruct(request, out FuseReleaseIn release))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        ReplyStatus(request, await _fs.ReleaseDirectoryAsync(release.Fh, CancellationToken.None).ConfigureAwait(false));
    }

    private async ValueTask ReadDirAsync(FuseRequest request, bool plus)
    {
        if (!TryStruct(request, out FuseReadIn read))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        var result = await _fs.ReadDirectoryAsync(read.Fh, (long)read.Offset, request.Token).ConfigureAwait(false);
        if (!result.IsOk)
        {
            _reply.Error(request, ErrnoMap.ToErrno(result.Error));
            return;
        }
        var size = (int)read.ReadSize;
        var buffer = ArrayPool<byte>.Shared.Rent(FuseOutHeader.Size + size);
        try
        {
            var entries = result.Value;
            var packed = DirectoryPacker.Pack(buffer.AsSpan(FuseOutHeader.Size, size), entries, plus, out var sent);
            if (!plus)
            {
                _reply.Data(request, buffer, packed);
                return;
            }
            // Every READDIRPLUS entry the kernel takes counts as a lookup. Count before sending (a FORGET may follow
            // the reply at once) and undo if the kernel never took the reply.
            for (var i = 0; i < sent; i++)
            {
                if (DirectoryPacker.CountsAsLookup(entries[i]))
                    _fs.AddLookup(entries[i].Attributes.NodeId);
            }
            if (!_reply.Data(request, buffer, packed))
            {
                for (var i = 0; i < sent; i++)
                {
                    if (DirectoryPacker.CountsAsLookup(entries[i]))
                        _fs.Forget(entries[i].Attributes.NodeId, 1);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The file system's attributes all live in the <c>user.</c> namespace. The kernel and tools ask for others on
    /// every file (<c>ls -l</c> for <c>security.selinux</c> and <c>system.posix_acl_access</c>, every write for
    /// <c>security.capability</c>); <see cref="TryAnswerInline"/> answers those on the reader thread.
    /// </summary>
    internal static bool IsUserNamespace(string name) => name.StartsWith("user.", StringComparison.Ordinal);

    /// <summary>The same test on the name's bytes as the kernel sent them (no string is made).</summary>
    internal static bool IsUserNamespace(ReadOnlySpan<byte> name) => name.StartsWith("user."u8);

    /// <summary>
    /// Answers, on the reader thread and without allocating, the requests whose answer needs no VFS call: extended
    /// attributes outside <c>user.</c>, which this mount never has. The answer is EOPNOTSUPP ("not supported by this
    /// file system"), not ENODATA: the kernel forwards every getxattr(2) of <c>security.*</c> and of the POSIX ACL
    /// names (no SELinux module claims them, and FUSE passes <c>system.posix_acl_*</c> to a server that did not
    /// negotiate POSIX_ACL), and has no way to be told once; but the tools that ask on every file remember
    /// EOPNOTSUPP for the whole file system (coreutils' <c>ls -l</c> stops asking for <c>security.selinux</c> and the
    /// ACL after the first file whose answer is "not supported"), while ENODATA only describes the one file.
    /// ENOSYS would stop the kernel itself, but for every name, <c>user.*</c> included. False when the request must
    /// go to <see cref="HandleAsync"/>.
    /// </summary>
    public bool TryAnswerInline(in FuseInHeader header, ReadOnlySpan<byte> args)
    {
        var reader = new FuseArgReader(args);
        ReadOnlySpan<byte> name;
        switch (header.Opcode)
        {
            case FuseOpcode.GetXattr:
                if (!reader.TryRead(out FuseGetXattrIn _) || !reader.TryReadNameBytes(out name))
                    return false;
                break;
            case FuseOpcode.SetXattr:
                if (!reader.TryRead(SetxattrExt ? FuseSetXattrIn.ExtSize : FuseSetXattrIn.Size, out FuseSetXattrIn _) || !reader.TryReadNameBytes(out name))
                    return false;
                break;
            case FuseOpcode.RemoveXattr:
                if (!reader.TryReadNameBytes(out name))
                    return false;
                break;
            default:
                return false;
        }
        if (IsUserNamespace(name))
            return false;
        _reply.Error(header.Unique, Errno.EOPNOTSUPP);
        return true;
    }

    private async ValueTask SetXattrAsync(FuseRequest request)
    {
        if (!TryParseSetXattr(request.Args, SetxattrExt, out var name, out var flags, out var valueOffset, out var valueLength))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        if (!IsUserNamespace(name))
        {
            _reply.Error(request, Errno.EOPNOTSUPP);
            return;
        }
        var value = request.ArgsMemory(valueOffset, valueLength);
        ReplyStatus(request, await _fs.SetXattrAsync(request.NodeId, name, value, flags, request.Token).ConfigureAwait(false));
    }

    internal static bool TryParseSetXattr(ReadOnlySpan<byte> args, bool ext, out string name, out XattrFlags flags, out int valueOffset, out int valueLength)
    {
        var reader = new FuseArgReader(args);
        name = string.Empty;
        flags = XattrFlags.None;
        valueOffset = valueLength = 0;
        if (!reader.TryRead(ext ? FuseSetXattrIn.ExtSize : FuseSetXattrIn.Size, out FuseSetXattrIn setxattr) || !reader.TryReadName(out name))
            return false;
        if (reader.Remaining < setxattr.ValueSize)
            return false;
        if ((setxattr.Flags & FuseSetXattrIn.XattrCreate) != 0)
            flags |= XattrFlags.Create;
        if ((setxattr.Flags & FuseSetXattrIn.XattrReplace) != 0)
            flags |= XattrFlags.Replace;
        valueOffset = reader.Position;
        valueLength = (int)setxattr.ValueSize;
        return true;
    }

    private async ValueTask GetXattrAsync(FuseRequest request)
    {
        if (!TryStructAndName(request, out FuseGetXattrIn getxattr, out var name))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        if (!IsUserNamespace(name))
        {
            _reply.Error(request, Errno.EOPNOTSUPP);
            return;
        }
        var result = await _fs.GetXattrAsync(request.NodeId, name, request.Token).ConfigureAwait(false);
        if (!result.IsOk)
        {
            _reply.Error(request, ErrnoMap.ToErrno(result.Error));
            return;
        }
        ReplySized(request, getxattr.BufferSize, result.Value);
    }

    private async ValueTask ListXattrAsync(FuseRequest request)
    {
        if (!TryStruct(request, out FuseGetXattrIn listxattr))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        var result = await _fs.ListXattrAsync(request.NodeId, request.Token).ConfigureAwait(false);
        if (!result.IsOk)
        {
            _reply.Error(request, ErrnoMap.ToErrno(result.Error));
            return;
        }
        ReplySized(request, listxattr.BufferSize, XattrNameList.Encode(result.Value));
    }

    /// <summary>GETXATTR/LISTXATTR answer: size 0 asks for the size; a smaller buffer gets ERANGE.</summary>
    private void ReplySized(FuseRequest request, uint bufferSize, byte[] value)
    {
        if (bufferSize == 0)
        {
            var sizeReply = new FuseGetXattrOut { ValueSize = (uint)value.Length };
            _reply.Struct(request, in sizeReply);
        }
        else if (value.Length > bufferSize)
        {
            _reply.Error(request, Errno.ERANGE);
        }
        else
        {
            _reply.Bytes(request, value);
        }
    }

    private async ValueTask RemoveXattrAsync(FuseRequest request)
    {
        if (!TryName(request, out var name))
        {
            _reply.Error(request, Errno.EINVAL);
            return;
        }
        if (!IsUserNamespace(name))
        {
            _reply.Error(request, Errno.EOPNOTSUPP);
            return;
        }
        ReplyStatus(request, await _fs.RemoveXattrAsync(request.NodeId, name, request.Token).ConfigureAwait(false));
    }
}
