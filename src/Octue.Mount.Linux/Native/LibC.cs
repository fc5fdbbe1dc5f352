using System.Runtime.InteropServices;

namespace Octue.Mount.Linux.Native;

/// <summary>The few libc calls the FUSE adapter needs: /dev/fuse I/O, mount/umount2, and fd passing over a socket.</summary>
internal static unsafe partial class LibC
{
    private const string Library = "libc";

    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_RDWR = 2;
    public const int O_CLOEXEC = 0x80000;

    public const ulong MS_RDONLY = 1;
    public const ulong MS_NOSUID = 2;
    public const ulong MS_NODEV = 4;
    public const ulong MS_NOSYMFOLLOW = 256; // Linux 5.10+: symlinks on the mount are not followed (readlink still reads them)

    public const int MNT_FORCE = 1;
    public const int MNT_DETACH = 2;

    public const int AF_UNIX = 1;
    public const int SOCK_STREAM = 1;
    public const int SOL_SOCKET = 1;
    public const int SCM_RIGHTS = 1;

    public const int F_GETFD = 1;
    public const int F_SETFD = 2;

    [LibraryImport(Library, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    public const int F_OK = 0;

    [LibraryImport(Library, EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Access(string path, int mode);

    [LibraryImport(Library, EntryPoint = "statfs", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int StatFs(string path, byte* buffer);

    /// <summary>
    /// statfs(2), for its error only: a FUSE file system answers it from its daemon every time (the kernel caches
    /// attributes and entries, never statfs), so a dead mount gives ENOTCONN here even while its root's attributes are
    /// still cached and access(2) or stat(2) would succeed. 0 or -1 with the errno in <see cref="LastErrno"/>.
    /// </summary>
    public static int ProbeStatFs(string path)
    {
        // struct statfs is 120 bytes on x86_64 and arm64; room to spare.
        var buffer = stackalloc byte[256];
        return StatFs(path, buffer);
    }

    /// <summary><c>FUSE_DEV_IOC_BACKING_OPEN</c> = _IOW(229, 1, struct fuse_backing_map): registers a backing file, returns its id.</summary>
    public const uint FUSE_DEV_IOC_BACKING_OPEN = 0x4010e501;

    /// <summary><c>FUSE_DEV_IOC_BACKING_CLOSE</c> = _IOW(229, 2, uint32_t): forgets a backing id (open files keep their file).</summary>
    public const uint FUSE_DEV_IOC_BACKING_CLOSE = 0x4004e502;

    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport(Library, EntryPoint = "mount", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Mount(string source, string target, string fileSystemType, ulong flags, string data);

    [LibraryImport(Library, EntryPoint = "umount2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Umount2(string target, int flags);

    [LibraryImport(Library, EntryPoint = "socketpair", SetLastError = true)]
    public static partial int SocketPair(int domain, int type, int protocol, int* fds);

    public const int SHUT_RDWR = 2;

    [LibraryImport(Library, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int socket, int how);

    [LibraryImport(Library, EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint RecvMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Library, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport(Library, EntryPoint = "setsid", SetLastError = true)]
    public static partial int SetSid();

    [LibraryImport(Library, EntryPoint = "dup2", SetLastError = true)]
    public static partial int Dup2(int oldFd, int newFd);

    [LibraryImport(Library, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport(Library, EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    [LibraryImport(Library, EntryPoint = "getegid")]
    public static partial uint GetEgid();

    public const int FD_CLOEXEC = 1;
    public const int MSG_CMSG_CLOEXEC = 0x40000000;

    [LibraryImport(Library, EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint RealPath(string path, nint resolved);

    [LibraryImport(Library, EntryPoint = "free")]
    private static partial void Free(nint pointer);

    /// <summary>The canonical absolute path (symlinks resolved), or null with errno set.</summary>
    public static string? CanonicalPath(string path)
    {
        var resolved = RealPath(path, 0);
        if (resolved == 0)
            return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    [LibraryImport(Library, EntryPoint = "strerror")]
    private static partial nint StrError(int errno);

    /// <summary>The errno of the last P/Invoke that set it.</summary>
    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>Text such as "No such device (ENODEV 19)" for messages.</summary>
    public static string Describe(int errno) => $"{Marshal.PtrToStringUTF8(StrError(errno)) ?? "error"} (errno {errno})";

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nint Length;
    }

    /// <summary><c>struct msghdr</c> on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nint IovLength;
        public void* Control;
        public nint ControlLength;
        public int Flags;
    }

    /// <summary><c>struct cmsghdr</c> on 64-bit Linux; the data follows at offset 16.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CmsgHdr
    {
        public nint Length;
        public int Level;
        public int Type;
    }
}
