using Microsoft.Extensions.Logging;
using Octue.Mount.Linux.Native;
using Octue.Mount.Linux.Protocol;

namespace Octue.Mount.Linux.Mounting;

/// <summary>
/// Checks a mount point before mounting and says plainly what is wrong: missing, not a directory, already a mount,
/// not empty, or no /dev/fuse. A dead FUSE mount left by a crashed daemon ("Transport endpoint is not connected")
/// is detached first, so mounting again after a crash just works.
/// </summary>
internal static class MountPointCheck
{
    public static async Task<string> PrepareAsync(string mountPoint, FuseMountOptions options, ILogger logger, CancellationToken ct)
    {
        if (!File.Exists(KernelMounter.DevicePath))
            throw new FuseMountException($"{KernelMounter.DevicePath} does not exist: load the fuse kernel module (modprobe fuse) or, in a container, pass the device in.", Errno.ENODEV);

        var full = Path.GetFullPath(mountPoint);
        if (full.Length > 1)
            full = full.TrimEnd('/');
        // A FUSE mount whose daemon died answers every request with ENOTCONN: detach it so this mount can take its
        // place. statfs asks the daemon every time; access and stat may be answered from attributes the kernel still
        // caches for a moment after the daemon died.
        if (MountTable.Find(full) is { } stale && stale.FileSystemType.StartsWith("fuse", StringComparison.Ordinal) &&
            LibC.ProbeStatFs(full) != 0 && LibC.LastErrno == Errno.ENOTCONN)
        {
            logger.LogWarning("Detaching the dead mount at {MountPoint} left by a daemon that exited", full);
            var error = await KernelMounter.UnmountAsync(full, lazy: true, viaFusermount: !KernelMounter.IsRoot, ct).ConfigureAwait(false);
            if (error is not null)
                throw new FuseMountException($"Mount point {full} holds a dead mount that could not be detached: {error}", Errno.ENOTCONN);
        }
        var canonical = LibC.CanonicalPath(full);
        if (canonical is null)
        {
            var errno = LibC.LastErrno;
            throw errno == Errno.ENOENT
                ? new FuseMountException($"Mount point {full} does not exist: create the directory first.", errno)
                : new FuseMountException($"Mount point {full} cannot be used: {LibC.Describe(errno)}", errno);
        }
        if (!Directory.Exists(canonical))
            throw new FuseMountException($"Mount point {canonical} is not a directory.", Errno.ENOTDIR);
        if (MountTable.Find(canonical) is { } existing)
            throw new FuseMountException($"Mount point {canonical} is busy: {existing.Source} ({existing.FileSystemType}) is already mounted there.", Errno.EBUSY);
        if (!options.AllowNonEmpty && Directory.EnumerateFileSystemEntries(canonical).Any())
            throw new FuseMountException($"Mount point {canonical} is not empty (use the nonempty option to mount over it anyway).", Errno.ENOTEMPTY);
        return canonical;
    }
}
