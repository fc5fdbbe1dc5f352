using System.Runtime.InteropServices;

namespace Octue.Mount.Linux.Protocol;

/// <summary><c>fuse_forget_in</c> (8 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseForgetIn
{
    public const int Size = 8;

    public ulong NLookup;
}

/// <summary><c>fuse_batch_forget_in</c> (8 bytes), followed by <see cref="Count"/> × <see cref="FuseForgetOne"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseBatchForgetIn
{
    public const int Size = 8;

    public uint Count;
    public uint Dummy;
}

/// <summary><c>fuse_forget_one</c> (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseForgetOne
{
    public const int Size = 16;

    public ulong NodeId;
    public ulong NLookup;
}

/// <summary><c>fuse_mknod_in</c> (16 bytes), followed by the name.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseMknodIn
{
    public const int Size = 16;

    public uint Mode;
    public uint RDev;
    public uint Umask;
    public uint Padding;
}

/// <summary><c>fuse_mkdir_in</c> (8 bytes), followed by the name.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseMkdirIn
{
    public const int Size = 8;

    public uint Mode;
    public uint Umask;
}

/// <summary><c>fuse_rename_in</c> (8 bytes), followed by old and new names.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseRenameIn
{
    public const int Size = 8;

    public ulong NewDir;
}

/// <summary><c>fuse_rename2_in</c> (16 bytes), followed by old and new names.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseRename2In
{
    public const int Size = 16;
    public const uint NoReplace = 1;
    public const uint Exchange = 2;
    public const uint Whiteout = 4;

    public ulong NewDir;
    public uint Flags;
    public uint Padding;
}

/// <summary><c>fuse_link_in</c> (8 bytes), followed by the new name.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseLinkIn
{
    public const int Size = 8;

    public ulong OldNodeId;
}

/// <summary><c>fuse_lseek_in</c> (24 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseLseekIn
{
    public const int Size = 24;

    public ulong Fh;
    public ulong Offset;
    public uint Whence;
    public uint Padding;
}
