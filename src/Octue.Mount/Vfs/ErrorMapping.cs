using Microsoft.Extensions.Logging;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>Turns failures of the layers below into the small platform-neutral error set, logging what matters.</summary>
internal static class ErrorMapping
{
    public static VfsError Map(Exception e, ILogger logger, string operation, string target)
    {
        var error = e switch
        {
            ObjectNotFoundException => VfsError.NotFound,
            PreconditionFailedException => VfsError.Stale,
            CorruptionException => VfsError.IoError,
            TransientStoreException => VfsError.TryAgain,
            PermissionDeniedException => VfsError.AccessDenied,
            OperationCanceledException => VfsError.Interrupted,
            IOException io when IsDiskFull(io) => VfsError.NoSpace,
            IOException => VfsError.IoError,
            UnauthorizedAccessException => VfsError.AccessDenied,
            ObjectStoreException => VfsError.IoError,
            _ => VfsError.IoError,
        };

        if (error is VfsError.NotFound or VfsError.Interrupted)
        {
            logger.LogDebug(e, "{Operation} {Target}: {Error}", operation, target, error);
        }
        else
        {
            logger.LogWarning(e, "{Operation} {Target} failed: {Error}", operation, target, error);
        }

        return error;
    }

    private static bool IsDiskFull(IOException e) => (e.HResult & 0xFFFF) is 28 or 112; // ENOSPC, ERROR_DISK_FULL
}
