using System.Runtime.InteropServices;

namespace Octue.Mount.Linux.Protocol;

/// <summary><c>fuse_attr</c> (88 bytes): the stat fields the kernel caches for an inode.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseAttr
{
    public const int Size = 88;

    public ulong Ino;
    public ulong FileSize;
    public ulong Blocks;
    public ulong ATime;
    public ulong MTime;
    public ulong CTime;
    public uint ATimeNsec;
    public uint MTimeNsec;
    public uint CTimeNsec;
    public uint Mode;
    public uint NLink;
    public uint Uid;
    public uint Gid;
    public uint RDev;
    public uint BlkSize;
    public uint Flags;
}

/// <summary><c>fuse_entry_out</c> (128 bytes): the reply to LOOKUP, MKDIR, SYMLINK, MKNOD, CREATE.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseEntryOut
{
    public const int Size = 128;

    public ulong NodeId;
    public ulong Generation;
    public ulong EntryValid;
    public ulong AttrValid;
    public uint EntryValidNsec;
    public uint AttrValidNsec;
    public FuseAttr Attr;
}

/// <summary><c>fuse_attr_out</c> (104 bytes): the reply to GETATTR and SETATTR.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseAttrOut
{
    public const int Size = 104;

    public ulong AttrValid;
    public uint AttrValidNsec;
    public uint Dummy;
    public FuseAttr Attr;
}

/// <summary><c>fuse_getattr_in</c> (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseGetAttrIn
{
    public const int Size = 16;
    /// <summary>Set in <see cref="GetAttrFlags"/> when <see cref="Fh"/> names an open handle.</summary>
    public const uint GetAttrFh = 1;

    public uint GetAttrFlags;
    public uint Dummy;
    public ulong Fh;
}

/// <summary>Bits of <c>fuse_setattr_in.valid</c>.</summary>
[Flags]
public enum SetAttrValid : uint
{
    None = 0,
    Mode = 1 << 0,
    Uid = 1 << 1,
    Gid = 1 << 2,
    Size = 1 << 3,
    ATime = 1 << 4,
    MTime = 1 << 5,
    Fh = 1 << 6,
    ATimeNow = 1 << 7,
    MTimeNow = 1 << 8,
    LockOwner = 1 << 9,
    CTime = 1 << 10,
    KillSuidGid = 1 << 11,
}

/// <summary><c>fuse_setattr_in</c> (88 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseSetAttrIn
{
    public const int Size = 88;

    public SetAttrValid Valid;
    public uint Padding;
    public ulong Fh;
    public ulong FileSize;
    public ulong LockOwner;
    public ulong ATime;
    public ulong MTime;
    public ulong CTime;
    public uint ATimeNsec;
    public uint MTimeNsec;
    public uint CTimeNsec;
    public uint Mode;
    public uint Unused4;
    public uint Uid;
    public uint Gid;
    public uint Unused5;
}
