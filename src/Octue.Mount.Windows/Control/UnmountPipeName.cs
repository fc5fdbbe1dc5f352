using System.Security.Cryptography;
using System.Text;

namespace Octue.Mount.Windows.Control;

/// <summary>
/// The name of the local pipe a Windows mount listens on for <c>octue-mount unmount</c>. It is derived from the mount
/// point and the user, so the command needs nothing but the mount point the user typed, and two users' mounts (or a
/// mount at <c>X:</c> and one at <c>Y:</c>) never share a pipe. The parts are hashed: a pipe name must not hold
/// backslashes, and a path may be longer than a pipe name should be.
/// </summary>
internal static class UnmountPipeName
{
    private const string Prefix = "octue-mount-";

    /// <summary>The pipe name for <paramref name="mountPoint"/> as mounted by <paramref name="user"/>.</summary>
    public static string For(string mountPoint, string user, Func<string, string>? fullPath = null)
    {
        string key = user + "\n" + NormalizeMountPoint(mountPoint, fullPath ?? Path.GetFullPath);
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        return Prefix + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    /// <summary>
    /// One spelling per mount point, as Windows compares them: a drive is <c>X:</c> whatever its case or trailing
    /// backslash; a folder is its full path (so a relative path matches the absolute one), with backslashes, no
    /// trailing separator, and upper case (Windows paths are case-insensitive).
    /// </summary>
    public static string NormalizeMountPoint(string mountPoint, Func<string, string> fullPath) =>
        WindowsMountPoint.ForWinFsp(mountPoint, fullPath).ToUpperInvariant();

    /// <summary>The user a pipe belongs to: the Windows account (domain and name), or the login name elsewhere.</summary>
    public static string CurrentUser() =>
        OperatingSystem.IsWindows() ? Environment.UserDomainName + "\\" + Environment.UserName : Environment.UserName;
}
