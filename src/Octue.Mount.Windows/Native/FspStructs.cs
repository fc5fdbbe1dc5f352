using System.Runtime.InteropServices;

namespace Octue.Mount.Windows.Native;

// Layouts of the WinFsp structures the binding exchanges with winfsp-*.dll, from inc/winfsp/fsctl.h and winfsp.h.
// Sizes are fixed by static asserts in those headers and asserted again by the unit tests.

/// <summary><c>FSP_FSCTL_FILE_INFO</c> (72 bytes). Times are FILETIME.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FspFileInfo
{
    public uint FileAttributes;
    public uint ReparseTag;
    public ulong AllocationSize;
    public ulong FileSize;
    public ulong CreationTime;
    public ulong LastAccessTime;
    public ulong LastWriteTime;
    public ulong ChangeTime;
    public ulong IndexNumber;
    public uint HardLinks;
    public uint EaSize;
}

/// <summary><c>FSP_FSCTL_VOLUME_INFO</c> (88 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct FspVolumeInfo
{
    public ulong TotalSize;
    public ulong FreeSize;
    /// <summary>In bytes, not characters.</summary>
    public ushort VolumeLabelLength;
    public fixed char VolumeLabel[32];
}

/// <summary><c>FSP_FSCTL_DIR_INFO</c> without its trailing name (104 bytes); the UTF-16 name follows, unterminated.</summary>
[StructLayout(LayoutKind.Explicit, Size = 104)]
internal struct FspDirInfo
{
    /// <summary>Header plus name, in bytes (the buffer entry is this rounded up to 8).</summary>
    [FieldOffset(0)] public ushort Size;
    [FieldOffset(8)] public FspFileInfo FileInfo;
    /// <summary>Only meaningful with DirectoryMarkerAsNextOffset, which this binding does not use.</summary>
    [FieldOffset(80)] public ulong NextOffset;
}

/// <summary><c>FSP_FSCTL_VOLUME_PARAMS</c> (504 bytes, Version = 504 selects the V1 fields).</summary>
[StructLayout(LayoutKind.Explicit, Size = 504)]
internal unsafe struct FspVolumeParams
{
    [FieldOffset(0)] public ushort Version;
    [FieldOffset(2)] public ushort SectorSize;
    [FieldOffset(4)] public ushort SectorsPerAllocationUnit;
    /// <summary>Maximum length of a name component in bytes (UTF-16), so 255 characters is 510.</summary>
    [FieldOffset(6)] public ushort MaxComponentLength;
    [FieldOffset(8)] public ulong VolumeCreationTime;
    [FieldOffset(16)] public uint VolumeSerialNumber;
    [FieldOffset(20)] public uint TransactTimeout;
    [FieldOffset(24)] public uint IrpTimeout;
    [FieldOffset(28)] public uint IrpCapacity;
    [FieldOffset(32)] public uint FileInfoTimeout;
    /// <summary>The bitfield word; see <see cref="VolumeFlags"/>.</summary>
    [FieldOffset(36)] public VolumeFlags Flags;
    [FieldOffset(40)] public fixed char Prefix[192];
    [FieldOffset(424)] public fixed char FileSystemName[16];
    /// <summary>The V1 bitfield word; see <see cref="VolumeFlags2"/>.</summary>
    [FieldOffset(456)] public VolumeFlags2 Flags2;
    [FieldOffset(460)] public uint VolumeInfoTimeout;
    [FieldOffset(464)] public uint DirInfoTimeout;
    [FieldOffset(468)] public uint SecurityTimeout;
    [FieldOffset(472)] public uint StreamInfoTimeout;
    [FieldOffset(476)] public uint EaTimeout;
    [FieldOffset(480)] public uint FsextControlCode;
}

/// <summary>Bits of the first flags word of <c>FSP_FSCTL_VOLUME_PARAMS</c>, in declaration order of the C bitfield.</summary>
[Flags]
internal enum VolumeFlags : uint
{
    None = 0,
    CaseSensitiveSearch = 1u << 0,
    CasePreservedNames = 1u << 1,
    UnicodeOnDisk = 1u << 2,
    PersistentAcls = 1u << 3,
    ReparsePoints = 1u << 4,
    ReparsePointsAccessCheck = 1u << 5,
    NamedStreams = 1u << 6,
    HardLinks = 1u << 7,
    ExtendedAttributes = 1u << 8,
    ReadOnlyVolume = 1u << 9,
    PostCleanupWhenModifiedOnly = 1u << 10,
    PassQueryDirectoryPattern = 1u << 11,
    AlwaysUseDoubleBuffering = 1u << 12,
    PassQueryDirectoryFileName = 1u << 13,
    FlushAndPurgeOnCleanup = 1u << 14,
    DeviceControl = 1u << 15,
    UmFileContextIsUserContext2 = 1u << 16,
    UmFileContextIsFullContext = 1u << 17,
    UmNoReparsePointsDirCheck = 1u << 18,
    AllowOpenInKernelMode = 1u << 24,
    CasePreservedExtendedAttributes = 1u << 25,
    WslFeatures = 1u << 26,
    DirectoryMarkerAsNextOffset = 1u << 27,
    SupportsPosixUnlinkRename = 1u << 29,
    PostDispositionWhenNecessaryOnly = 1u << 30,
}

/// <summary>Bits of the V1 flags word (which of the per-kind timeouts are valid).</summary>
[Flags]
internal enum VolumeFlags2 : uint
{
    None = 0,
    VolumeInfoTimeoutValid = 1u << 0,
    DirInfoTimeoutValid = 1u << 1,
    SecurityTimeoutValid = 1u << 2,
    StreamInfoTimeoutValid = 1u << 3,
    EaTimeoutValid = 1u << 4,
}

/// <summary>
/// The head of <c>FSP_FSCTL_TRANSACT_RSP</c> as far as an asynchronous Read, Write or ReadDirectory completion needs it
/// (128 bytes = the fixed part of the C struct: 24-byte header, IoStatus, and the largest member of the Rsp union).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct FspTransactResponse
{
    [FieldOffset(0)] public ushort Version;
    [FieldOffset(2)] public ushort Size;
    [FieldOffset(4)] public uint Kind;
    [FieldOffset(8)] public ulong Hint;
    [FieldOffset(16)] public uint IoStatusInformation;
    [FieldOffset(20)] public int IoStatusStatus;
    /// <summary><c>Rsp.Write.FileInfo</c>.</summary>
    [FieldOffset(24)] public FspFileInfo WriteFileInfo;
}

/// <summary>Values of <c>FSP_FSCTL_TRANSACT_REQ.Kind</c> / <c>RSP.Kind</c> the binding completes asynchronously.</summary>
internal static class TransactKind
{
    public const uint Read = 5;
    public const uint Write = 6;
    public const uint QueryDirectory = 14;
}

/// <summary>Byte offsets inside native WinFsp structures the binding reads through raw pointers.</summary>
internal static class FspOffsets
{
    /// <summary>
    /// <c>FSP_FILE_SYSTEM.UserContext</c>: the struct starts with <c>UINT16 Version</c> followed by <c>PVOID UserContext</c>,
    /// so natural alignment puts the pointer at one pointer size (8 on x64/arm64, 4 on x86).
    /// </summary>
    public static int FileSystemUserContext => IntPtr.Size;

    /// <summary><c>FSP_FSCTL_TRANSACT_REQ.Hint</c> (after u16 Version, u16 Size, u32 Kind).</summary>
    public const int RequestHint = 8;

    /// <summary><c>FSP_FSCTL_TRANSACT_REQ.Kind</c>.</summary>
    public const int RequestKind = 4;
}
