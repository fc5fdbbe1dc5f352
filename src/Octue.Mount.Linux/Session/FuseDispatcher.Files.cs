using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Octue.Mount.Linux.Protocol;
using Octue.Mount.Vfs;

namespace Octue.Mount.Linux.Session;

/// <summary>FUSE requests on open files: OPEN, CREATE, READ, WRITE, FLUSH, FSYNC, RELEASE.</summary>
internal sealed partial class FuseDispatcher
{
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
}
