namespace Octue.Mount.Linux.Protocol;

/// <summary>File-type bits of st_mode, DT_* directory-entry types, and open(2) flag bits as the kernel sends them.</summary>
public static class FileModes
{
    public const uint TypeMask = 0xF000; // S_IFMT
    public const uint Regular = 0x8000; // S_IFREG
    public const uint Directory = 0x4000; // S_IFDIR
    public const uint Symlink = 0xA000; // S_IFLNK
    public const uint PermissionMask = 0xFFF; // 07777

    /// <summary>The DT_* value for a mode: the file-type bits shifted down (DT_DIR 4, DT_REG 8, DT_LNK 10).</summary>
    public static uint DirentType(uint mode) => (mode & TypeMask) >> 12;

    public const int AccessModeMask = 3; // O_ACCMODE
    public const int ReadOnly = 0; // O_RDONLY
    public const int WriteOnly = 1; // O_WRONLY
    public const int ReadWrite = 2; // O_RDWR
    public const int Create = 0x40; // O_CREAT
    public const int Exclusive = 0x80; // O_EXCL
    public const int Truncate = 0x200; // O_TRUNC
    public const int Append = 0x400; // O_APPEND
}
