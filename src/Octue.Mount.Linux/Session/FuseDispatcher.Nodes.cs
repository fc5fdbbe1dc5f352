using System.Text;
using Microsoft.Extensions.Logging;
using Octue.Mount.Linux.Protocol;
using Octue.Mount.Vfs;

namespace Octue.Mount.Linux.Session;

/// <summary>FUSE requests on names and nodes: LOOKUP, GETATTR, SETATTR, READLINK, SYMLINK, MKNOD, MKDIR, UNLINK, RMDIR, RENAME.</summary>
internal sealed partial class FuseDispatcher
{
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
}
