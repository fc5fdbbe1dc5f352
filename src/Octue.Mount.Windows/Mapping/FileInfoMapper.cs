using Octue.Mount.Vfs;
using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows.Mapping;

/// <summary>Windows file attribute bits used by the mount (winnt.h FILE_ATTRIBUTE_*).</summary>
internal static class WinFileAttributes
{
    public const uint ReadOnly = 0x1;
    public const uint Directory = 0x10;
    public const uint Normal = 0x80;
    /// <summary>INVALID_FILE_ATTRIBUTES: "leave the attributes unchanged" in SetBasicInfo.</summary>
    public const uint Unchanged = 0xFFFFFFFF;
}

/// <summary>
/// POSIX-style <see cref="NodeAttributes"/> → <c>FSP_FSCTL_FILE_INFO</c>.
/// Directories get FILE_ATTRIBUTE_DIRECTORY; a file whose owner-write bit (0200) is clear gets
/// FILE_ATTRIBUTE_READONLY; a file with no other attribute gets FILE_ATTRIBUTE_NORMAL. Directories never get
/// READONLY: on Windows it does not protect a folder's contents (Explorer uses it to mark customized folders), but
/// WinFsp refuses to delete anything that carries it, while POSIX lets an empty 0555 directory be removed. Symbolic links are not
/// reparse points on this volume (reparse-point support is not implemented): they show as read-only, empty files.
/// The node id is the file's index number, so tools that compare file ids see a stable identity.
/// </summary>
internal static class FileInfoMapper
{
    public const uint AllocationUnit = 4096;

    public static FspFileInfo ToFileInfo(in NodeAttributes a)
    {
        uint attributes = a.Kind == NodeKind.Directory ? WinFileAttributes.Directory : 0;
        if ((a.Kind == NodeKind.File && (a.Mode & 0x80) == 0) || a.Kind == NodeKind.Symlink)
            attributes |= WinFileAttributes.ReadOnly;
        if (attributes == 0)
            attributes = WinFileAttributes.Normal;

        ulong size = a.Kind == NodeKind.File && a.Size > 0 ? (ulong)a.Size : 0;
        long modified = a.ModifiedNs;
        return new FspFileInfo
        {
            FileAttributes = attributes,
            ReparseTag = 0,
            FileSize = size,
            AllocationSize = (size + AllocationUnit - 1) / AllocationUnit * AllocationUnit,
            CreationTime = FileTime.FromUnixNanoseconds(a.CreatedNs != 0 ? a.CreatedNs : modified),
            LastAccessTime = FileTime.FromUnixNanoseconds(a.AccessedNs != 0 ? a.AccessedNs : modified),
            LastWriteTime = FileTime.FromUnixNanoseconds(modified),
            ChangeTime = FileTime.FromUnixNanoseconds(a.ChangedNs != 0 ? a.ChangedNs : modified),
            IndexNumber = a.Inode != 0 ? a.Inode : a.NodeId,
            HardLinks = 0,
            EaSize = 0,
        };
    }

    /// <summary>
    /// The POSIX mode a SetBasicInfo attribute change implies, or null when the read-only bit does not change it:
    /// READONLY clears the write bits, clearing READONLY gives the owner write permission back.
    /// </summary>
    public static uint? ModeForAttributes(uint fileAttributes, uint currentMode)
    {
        if (fileAttributes == WinFileAttributes.Unchanged)
            return null;
        bool wantReadOnly = (fileAttributes & WinFileAttributes.ReadOnly) != 0;
        bool isReadOnly = (currentMode & 0x80) == 0;
        if (wantReadOnly == isReadOnly)
            return null;
        return wantReadOnly ? currentMode & ~0x92u : currentMode | 0x80u;
    }
}
