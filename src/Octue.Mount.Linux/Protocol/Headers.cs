using System.Runtime.InteropServices;

namespace Octue.Mount.Linux.Protocol;

/// <summary><c>fuse_in_header</c> (40 bytes): starts every request; <see cref="Length"/> covers the whole message.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseInHeader
{
    public const int Size = 40;

    public uint Length;
    public FuseOpcode Opcode;
    public ulong Unique;
    public ulong NodeId;
    public uint Uid;
    public uint Gid;
    public uint Pid;
    /// <summary>Length of extension blocks after the arguments, in 8-byte units.</summary>
    public ushort TotalExtLength;
    public ushort Padding;
}

/// <summary><c>fuse_out_header</c> (16 bytes): starts every reply and notification.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseOutHeader
{
    public const int Size = 16;

    public uint Length;
    /// <summary>0, a negative errno, or (for notifications) the notification code.</summary>
    public int Error;
    public ulong Unique;
}
