using Octue.Mount.Linux.Protocol;
using Octue.Mount.Vfs;

namespace Octue.Mount.Linux.Session;

/// <summary>FUSE requests on extended attributes: GETXATTR, SETXATTR, LISTXATTR, REMOVEXATTR, and the names answered on the reader thread.</summary>
internal sealed partial class FuseDispatcher
{
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
