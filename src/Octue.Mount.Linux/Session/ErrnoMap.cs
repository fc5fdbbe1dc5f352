using Octue.Mount.Linux.Protocol;
using Octue.Mount.Vfs;

namespace Octue.Mount.Linux.Session;

/// <summary>Translates the file system's <see cref="VfsError"/> to the errno the kernel passes on to the caller.</summary>
internal static class ErrnoMap
{
    public static int ToErrno(VfsError error) => error switch
    {
        VfsError.NotFound => Errno.ENOENT,
        VfsError.Exists => Errno.EEXIST,
        VfsError.NotDirectory => Errno.ENOTDIR,
        VfsError.IsDirectory => Errno.EISDIR,
        VfsError.NotEmpty => Errno.ENOTEMPTY,
        VfsError.Stale => Errno.ESTALE,
        VfsError.IoError => Errno.EIO,
        VfsError.InvalidArgument => Errno.EINVAL,
        VfsError.NotPermitted => Errno.EPERM,
        VfsError.AccessDenied => Errno.EACCES,
        VfsError.ReadOnly => Errno.EROFS,
        VfsError.NoData => Errno.ENODATA,
        VfsError.NotSupported => Errno.EOPNOTSUPP,
        VfsError.NameTooLong => Errno.ENAMETOOLONG,
        VfsError.BadHandle => Errno.EBADF,
        VfsError.NoSpace => Errno.ENOSPC,
        VfsError.Interrupted => Errno.EINTR,
        VfsError.CrossDevice => Errno.EXDEV,
        VfsError.TooBig => Errno.E2BIG,
        VfsError.TryAgain => Errno.EAGAIN,
        VfsError.FileTooBig => Errno.EFBIG,
        _ => Errno.EIO,
    };
}
