using System.Runtime.InteropServices;

namespace Octue.Mount.Linux.Protocol;

/// <summary><c>fuse_init_in</c> (64 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Size = 64)]
public struct FuseInitIn
{
    public const int Size = 64;

    public uint Major;
    public uint Minor;
    public uint MaxReadahead;
    public uint Flags;
    public uint Flags2;

    public readonly FuseInitFlags AllFlags => (FuseInitFlags)(Flags | ((ulong)Flags2 << 32));
}

/// <summary><c>fuse_init_out</c> (64 bytes; the full size is valid for minor ≥ 23).</summary>
[StructLayout(LayoutKind.Sequential, Size = 64)]
public struct FuseInitOut
{
    public const int Size = 64;

    public uint Major;
    public uint Minor;
    public uint MaxReadahead;
    public uint Flags;
    public ushort MaxBackground;
    public ushort CongestionThreshold;
    public uint MaxWrite;
    /// <summary>Timestamp granularity in nanoseconds (1 = full precision).</summary>
    public uint TimeGran;
    public ushort MaxPages;
    public ushort MapAlignment;
    public uint Flags2;
    public uint MaxStackDepth;
    public ushort RequestTimeout;
}
