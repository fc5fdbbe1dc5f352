using System.Runtime.InteropServices;

namespace Octue.Mount.Linux.Protocol;

/// <summary><c>fuse_notify_inval_inode_out</c> (24 bytes). A negative offset invalidates attributes only; length 0 means to EOF.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyInvalInodeOut
{
    public const int Size = 24;

    public ulong Ino;
    public long Offset;
    public long Length;
}

/// <summary><c>fuse_notify_inval_entry_out</c> (16 bytes), followed by the name and a NUL.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyInvalEntryOut
{
    public const int Size = 16;

    public ulong Parent;
    public uint NameLength;
    public uint Flags;
}
