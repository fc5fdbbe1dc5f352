namespace Octue.Mount.Windows.Tests;

/// <summary>The access, create-option and cleanup bits the callback tests pass, as winnt.h, ntioapi.h and winfsp.h define them.</summary>
internal static class WinFspFlags
{
    public const uint ReadData = 0x1, WriteData = 0x2, Delete = 0x10000;
    public const uint DirectoryFile = 0x1;
    public const uint CleanupDelete = 0x1;
}
