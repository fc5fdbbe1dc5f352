using System.Runtime.InteropServices;

namespace Octue.Mount.Linux.Protocol;

/// <summary>
/// <c>fuse_setxattr_in</c>: 8 bytes, or 16 (<see cref="ExtSize"/>) when SETXATTR_EXT was negotiated. Followed by
/// the name and <see cref="ValueSize"/> bytes of value.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseSetXattrIn
{
    public const int Size = 8;
    public const int ExtSize = 16;
    /// <summary>XATTR_CREATE in <see cref="Flags"/>.</summary>
    public const uint XattrCreate = 1;
    /// <summary>XATTR_REPLACE in <see cref="Flags"/>.</summary>
    public const uint XattrReplace = 2;

    public uint ValueSize;
    public uint Flags;
}

/// <summary><c>fuse_getxattr_in</c> (8 bytes): GETXATTR (followed by the name) and LISTXATTR.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseGetXattrIn
{
    public const int Size = 8;

    public uint BufferSize;
    public uint Padding;
}

/// <summary><c>fuse_getxattr_out</c> (8 bytes): the size a GETXATTR/LISTXATTR with size 0 asks for.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseGetXattrOut
{
    public const int Size = 8;

    public uint ValueSize;
    public uint Padding;
}
