namespace Octue.Mount.Windows;

/// <summary>
/// The spellings of a Windows mount point: a drive (<c>X:</c>, <c>x:</c>, <c>X:\</c>) or a folder. WinFsp takes a
/// drive only as <c>X:</c> (anything longer is a folder to it, and <c>X:\</c> is the root of a drive that is not
/// there), so every drive spelling is brought to that form before mounting.
/// </summary>
internal static class WindowsMountPoint
{
    /// <summary>Whether <paramref name="mountPoint"/> names a drive rather than a folder.</summary>
    public static bool IsDrive(string mountPoint)
    {
        string path = mountPoint.Trim().Replace('/', '\\');
        return path.Length is 2 or 3 && char.IsAsciiLetter(path[0]) && path[1] == ':' && (path.Length == 2 || path[2] == '\\');
    }

    /// <summary>The form WinFsp is given: <c>X:</c> (upper case) for a drive, the full path of a folder.</summary>
    public static string ForWinFsp(string mountPoint, Func<string, string>? fullPath = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mountPoint);
        string path = mountPoint.Trim().Replace('/', '\\');
        if (IsDrive(path))
            return char.ToUpperInvariant(path[0]) + ":";
        return (fullPath ?? Path.GetFullPath)(path).Replace('/', '\\').TrimEnd('\\');
    }
}
