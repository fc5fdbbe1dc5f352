using System.Diagnostics;
using System.Globalization;
using System.Text;
using Octue.Mount.Linux.Native;
using Octue.Mount.Linux.Protocol;

namespace Octue.Mount.Linux.Mounting;

/// <summary>
/// Makes and removes FUSE mounts without libfuse: as root with mount(2) on a /dev/fuse fd we opened, otherwise
/// through the setuid fusermount3, which opens /dev/fuse, mounts it and passes the fd back over a socket.
/// </summary>
internal static class KernelMounter
{
    public const string DevicePath = "/dev/fuse";
    public const string Fusermount = "fusermount3";
    private const uint RootModeDirectory = 0x4000; // S_IFDIR, written in octal as 40000

    public static bool IsRoot => LibC.GetEuid() == 0;

    /// <summary>The option string mount(2) gets: only options the kernel parses may appear, anything else is EINVAL.</summary>
    internal static string KernelOptions(int fd, uint uid, uint gid, uint maxRead, FuseMountOptions options)
    {
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"fd={fd},rootmode={Convert.ToString(RootModeDirectory, 8)},user_id={uid},group_id={gid},max_read={maxRead}");
        if (options.AllowOther)
            builder.Append(",allow_other");
        if (options.DefaultPermissions)
            builder.Append(",default_permissions");
        return builder.ToString();
    }

    /// <summary>The -o string for fusermount3, which validates it and builds the kernel's.</summary>
    internal static string FusermountOptions(FuseMountOptions options)
    {
        var builder = new StringBuilder(options.ReadOnly ? "ro" : "rw");
        builder.Append(options.AllowSetuid ? ",suid,nodev" : ",nosuid,nodev");
        if (options.NoSymFollow)
            builder.Append(",nosymfollow");
        builder.Append(",fsname=").Append(EscapeOption(options.Source));
        builder.Append(",subtype=").Append(EscapeOption(options.Subtype));
        if (options.AllowOther)
            builder.Append(",allow_other");
        if (options.DefaultPermissions)
            builder.Append(",default_permissions");
        return builder.ToString();
    }

    /// <summary>fusermount3 splits options on commas; a comma inside a value is escaped with a backslash.</summary>
    private static string EscapeOption(string value) => value.Replace("\\", "\\\\").Replace(",", "\\,");

    /// <summary>Opens /dev/fuse and mounts it with mount(2); returns the connection's fd.</summary>
    public static int MountDirect(string mountPoint, uint maxRead, FuseMountOptions options)
    {
        var fd = LibC.Open(DevicePath, LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            var errno = LibC.LastErrno;
            throw new FuseMountException($"Cannot open {DevicePath}: {LibC.Describe(errno)}. Is the fuse module loaded and the device present?", errno);
        }
        var data = KernelOptions(fd, LibC.GetEuid(), LibC.GetEgid(), maxRead, options);
        var flags = MountFlags(options);
        if (LibC.Mount(options.Source, mountPoint, "fuse." + options.Subtype, flags, data) != 0)
        {
            var errno = LibC.LastErrno;
            LibC.Close(fd);
            throw new FuseMountException($"mount(2) of {mountPoint} failed: {LibC.Describe(errno)}", errno);
        }
        return fd;
    }

    /// <summary>The mount(2) flags: nodev always; nosuid unless setuid files are allowed; nosymfollow and ro when asked.</summary>
    internal static ulong MountFlags(FuseMountOptions options) =>
        LibC.MS_NODEV
        | (options.AllowSetuid ? 0 : LibC.MS_NOSUID)
        | (options.NoSymFollow ? LibC.MS_NOSYMFOLLOW : 0)
        | (options.ReadOnly ? LibC.MS_RDONLY : 0);

    /// <summary>Runs fusermount3 with <c>_FUSE_COMMFD</c> and receives the /dev/fuse fd it passes back (SCM_RIGHTS).</summary>
    public static async Task<int> MountWithFusermountAsync(string mountPoint, FuseMountOptions options, CancellationToken ct)
    {
        var (ours, theirs) = CreateSocketPair();
        try
        {
            // The runtime opens every fd close-on-exec; fusermount3 must inherit its end of the socket.
            if (LibC.Fcntl(theirs, LibC.F_SETFD, 0) != 0)
                throw new FuseMountException($"fcntl failed: {LibC.Describe(LibC.LastErrno)}", LibC.LastErrno);
            var start = new ProcessStartInfo(Fusermount)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("-o");
            start.ArgumentList.Add(FusermountOptions(options));
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(mountPoint);
            start.Environment["_FUSE_COMMFD"] = theirs.ToString(CultureInfo.InvariantCulture);
            Process process;
            try
            {
                process = Process.Start(start) ?? throw new FuseMountException($"{Fusermount} could not be started.");
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new FuseMountException($"{Fusermount} could not be run ({ex.Message}); install the fuse3 package.", 0, ex);
            }
            LibC.Close(theirs);
            theirs = -1;
            using (process)
            {
                var stderr = process.StandardError.ReadToEndAsync(ct);
                await process.WaitForExitAsync(ct).ConfigureAwait(false);
                var message = (await stderr.ConfigureAwait(false)).Trim();
                if (process.ExitCode != 0 && options.NoSymFollow && message.Contains("nosymfollow", StringComparison.Ordinal))
                {
                    // fusermount3 passes nosymfollow on from fuse 3.17; older ones refuse it as an unknown option.
                    throw new FuseMountException(
                        $"nosymfollow cannot be set: {await FusermountVersionAsync(ct).ConfigureAwait(false)} does not know it ({message}). " +
                        "fusermount3 from fuse 3.17 or newer passes it to the kernel; as root, octue-mount sets it itself with mount(2). " +
                        "Mount as root, install a newer fuse3, or mount without nosymfollow.");
                }
                if (process.ExitCode != 0)
                    throw new FuseMountException($"{Fusermount} failed for {mountPoint}: {(message.Length > 0 ? message : $"exit code {process.ExitCode}")}");
            }
            // fusermount3 has exited, so the fd (if any) is already queued on the socket: this does not block.
            return ReceiveFd(ours);
        }
        finally
        {
            LibC.Close(ours);
            if (theirs >= 0)
                LibC.Close(theirs);
        }
    }

    /// <summary>"fusermount3 3.14.0", as the installed fusermount3 reports itself (just its name if it does not say).</summary>
    private static async Task<string> FusermountVersionAsync(CancellationToken ct)
    {
        try
        {
            var start = new ProcessStartInfo(Fusermount) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            start.ArgumentList.Add("--version");
            using var process = Process.Start(start);
            if (process is null)
                return Fusermount;
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
            var text = ((await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false))).Trim();
            var version = text.LastIndexOf(' ') is var space and >= 0 ? text[(space + 1)..] : "";
            return version.Length > 0 && char.IsAsciiDigit(version[0]) ? $"{Fusermount} {version}" : Fusermount;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return Fusermount;
        }
    }

    private static unsafe (int Ours, int Theirs) CreateSocketPair()
    {
        var pair = stackalloc int[2];
        if (LibC.SocketPair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.O_CLOEXEC, 0, pair) != 0)
            throw new FuseMountException($"socketpair failed: {LibC.Describe(LibC.LastErrno)}", LibC.LastErrno);
        return (pair[0], pair[1]);
    }

    private static unsafe int ReceiveFd(int socket)
    {
        byte data = 0;
        var control = stackalloc byte[64];
        var iov = new LibC.IoVec { Base = &data, Length = 1 };
        var message = new LibC.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = 64 };
        nint received;
        do
        {
            received = LibC.RecvMsg(socket, &message, LibC.MSG_CMSG_CLOEXEC);
        }
        while (received < 0 && LibC.LastErrno == Errno.EINTR);
        if (received <= 0)
            throw new FuseMountException("fusermount3 did not pass back the /dev/fuse descriptor.");
        if (message.ControlLength < sizeof(LibC.CmsgHdr) + sizeof(int))
            throw new FuseMountException("fusermount3 sent no descriptor.");
        var header = (LibC.CmsgHdr*)control;
        if (header->Level != LibC.SOL_SOCKET || header->Type != LibC.SCM_RIGHTS)
            throw new FuseMountException("fusermount3 sent an unexpected control message.");
        return *(int*)(control + sizeof(LibC.CmsgHdr));
    }

    /// <summary>Unmounts: umount2 as root (MNT_DETACH when lazy), else fusermount3 -u [-z]. Returns an error message or null.</summary>
    public static async Task<string?> UnmountAsync(string mountPoint, bool lazy, bool viaFusermount, CancellationToken ct = default)
    {
        if (!viaFusermount)
        {
            if (LibC.Umount2(mountPoint, lazy ? LibC.MNT_DETACH : 0) == 0)
                return null;
            var errno = LibC.LastErrno;
            return errno == Errno.EINVAL ? $"{mountPoint} is not mounted" : $"umount2 of {mountPoint} failed: {LibC.Describe(errno)}";
        }
        var start = new ProcessStartInfo(Fusermount) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-u");
        if (lazy)
            start.ArgumentList.Add("-z");
        start.ArgumentList.Add("--");
        start.ArgumentList.Add(mountPoint);
        using var process = Process.Start(start) ?? throw new FuseMountException($"{Fusermount} could not be started.");
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        var message = (await stderr.ConfigureAwait(false)).Trim();
        return process.ExitCode == 0 ? null : message.Length > 0 ? message : $"{Fusermount} -u exited with {process.ExitCode}";
    }
}
