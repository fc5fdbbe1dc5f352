using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Octue.Mount.Linux.Protocol;
using Octue.Mount.Vfs;

namespace Octue.Mount.Linux.Session;

/// <summary>
/// Translates each FUSE opcode into an <see cref="IFileSystem"/> call and its result into exactly one reply.
/// It holds no file-system policy: errors come from the VFS and are only mapped to errno. This file has the entry points,
/// the opcode table and the reply helpers every handler shares; the handlers are beside it, one file per kind of
/// request (<c>FuseDispatcher.Nodes.cs</c>, <c>.Files.cs</c>, <c>.Directories.cs</c>, <c>.Xattrs.cs</c>).
/// </summary>
internal sealed partial class FuseDispatcher
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
}
