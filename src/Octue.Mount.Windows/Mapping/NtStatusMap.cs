using Octue.Mount.Vfs;
using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows.Mapping;

/// <summary>
/// Translates the VFS's platform-neutral errors into NTSTATUS codes, the way the Linux adapter translates them into
/// errno. One table, so the Windows behaviour of every error is visible in one place.
/// </summary>
internal static class NtStatusMap
{
    public static int FromVfsError(VfsError error) => error switch
    {
        VfsError.None => NtStatus.Success,
        VfsError.NotFound => NtStatus.ObjectNameNotFound,
        VfsError.Exists => NtStatus.ObjectNameCollision,
        VfsError.NotDirectory => NtStatus.NotADirectory,
        VfsError.IsDirectory => NtStatus.FileIsADirectory,
        VfsError.NotEmpty => NtStatus.DirectoryNotEmpty,
        // A lost generation race: Windows' closest meaning is "the file was altered externally; the open is no longer valid".
        VfsError.Stale => NtStatus.FileInvalid,
        // Includes failed integrity checks: never hand the application bytes known to be wrong.
        VfsError.IoError => NtStatus.UnexpectedIoError,
        VfsError.InvalidArgument => NtStatus.InvalidParameter,
        VfsError.NotPermitted => NtStatus.AccessDenied,
        VfsError.AccessDenied => NtStatus.AccessDenied,
        VfsError.ReadOnly => NtStatus.MediaWriteProtected,
        VfsError.NoData => NtStatus.NonexistentEaEntry,
        VfsError.NotSupported => NtStatus.NotSupported,
        VfsError.NameTooLong => NtStatus.ObjectNameInvalid,
        VfsError.BadHandle => NtStatus.InvalidHandle,
        VfsError.NoSpace => NtStatus.DiskFull,
        VfsError.Interrupted => NtStatus.Cancelled,
        VfsError.CrossDevice => NtStatus.NotSameDevice,
        VfsError.TooBig => NtStatus.EaTooLarge,
        VfsError.TryAgain => NtStatus.NetworkBusy,
        VfsError.FileTooBig => NtStatus.FileTooLarge,
        _ => NtStatus.UnexpectedIoError,
    };
}
