using System.Buffers;
using Octue.Mount.Linux.Protocol;

namespace Octue.Mount.Linux.Session;

/// <summary>FUSE requests on open directories: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR.</summary>
internal sealed partial class FuseDispatcher
{
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
}
