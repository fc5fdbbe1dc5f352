using System.Runtime.InteropServices;

namespace Octue.Mount.Linux.Protocol;

/// <summary><c>fuse_open_in</c> (8 bytes): OPEN and OPENDIR.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseOpenIn
{
    public const int Size = 8;

    public uint Flags;
    public uint OpenFlags;
}

/// <summary>Bits of <c>fuse_open_out.open_flags</c>.</summary>
[Flags]
public enum FuseOpenOutFlags : uint
{
    None = 0,
    DirectIo = 1 << 0,
    KeepCache = 1 << 1,
    NonSeekable = 1 << 2,
    CacheDir = 1 << 3,
    /// <summary>close(2) of this open file sends no FLUSH (FOPEN_NOFLUSH, 7.35; ignored with the writeback cache).</summary>
    NoFlush = 1 << 5,
    /// <summary>Reads (and mmap) of this open file go straight to the backing file named by <c>backing_id</c>.</summary>
    Passthrough = 1 << 7,
}

/// <summary><c>fuse_open_out</c> (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseOpenOut
{
    public const int Size = 16;

    public ulong Fh;
    public FuseOpenOutFlags OpenFlags;
    public int BackingId;
}

/// <summary><c>fuse_create_in</c> (16 bytes), followed by the name.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseCreateIn
{
    public const int Size = 16;

    public uint Flags;
    public uint Mode;
    public uint Umask;
    public uint OpenFlags;
}

/// <summary><c>fuse_read_in</c> (40 bytes): READ, READDIR, READDIRPLUS.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseReadIn
{
    public const int Size = 40;

    public ulong Fh;
    public ulong Offset;
    public uint ReadSize;
    public uint ReadFlags;
    public ulong LockOwner;
    public uint Flags;
    public uint Padding;
}

/// <summary><c>fuse_write_in</c> (40 bytes), followed by <see cref="WriteSize"/> bytes of data.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseWriteIn
{
    public const int Size = 40;

    public ulong Fh;
    public ulong Offset;
    public uint WriteSize;
    public uint WriteFlags;
    public ulong LockOwner;
    public uint Flags;
    public uint Padding;
}

/// <summary><c>fuse_write_out</c> (8 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseWriteOut
{
    public const int Size = 8;

    public uint WrittenSize;
    public uint Padding;
}

/// <summary><c>fuse_release_in</c> (24 bytes): RELEASE and RELEASEDIR.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseReleaseIn
{
    public const int Size = 24;

    public ulong Fh;
    public uint Flags;
    public uint ReleaseFlags;
    public ulong LockOwner;
}

/// <summary><c>fuse_flush_in</c> (24 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseFlushIn
{
    public const int Size = 24;

    public ulong Fh;
    public uint Unused;
    public uint Padding;
    public ulong LockOwner;
}

/// <summary><c>fuse_fsync_in</c> (16 bytes): FSYNC and FSYNCDIR.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseFsyncIn
{
    public const int Size = 16;

    public ulong Fh;
    public uint FsyncFlags;
    public uint Padding;
}

/// <summary><c>fuse_access_in</c> (8 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseAccessIn
{
    public const int Size = 8;

    public uint Mask;
    public uint Padding;
}

/// <summary><c>fuse_interrupt_in</c> (8 bytes): the unique of the request to interrupt.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseInterruptIn
{
    public const int Size = 8;

    public ulong Unique;
}

/// <summary><c>fuse_kstatfs</c> as <c>fuse_statfs_out</c> (80 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Size = 80)]
public struct FuseStatfsOut
{
    public const int Size = 80;

    public ulong Blocks;
    public ulong BlocksFree;
    public ulong BlocksAvailable;
    public ulong Files;
    public ulong FilesFree;
    public uint BlockSize;
    public uint NameLength;
    public uint FragmentSize;
}
