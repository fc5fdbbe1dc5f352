using System.Globalization;
using Octue.Mount.Linux.Native;

namespace Octue.Mount.Linux.Mounting;

/// <summary>
/// The per-connection knobs outside the protocol: /sys/fs/fuse/connections/N (abort, max_background) and the
/// mount's backing-device readahead. N is the minor of the mount's st_dev, read from mountinfo.
/// </summary>
public static class FuseConnectionControl
{
    public const string ConnectionsDirectory = "/sys/fs/fuse/connections";

    /// <summary>Raises the readahead of the mount's bdi (the INIT reply can only lower it).</summary>
    public static bool TrySetReadAhead(int minor, int kilobytes)
    {
        try
        {
            File.WriteAllText(ReadAheadPath(minor), kilobytes.ToString(CultureInfo.InvariantCulture));
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The readahead knob of the backing device of the FUSE mount whose st_dev is 0:<paramref name="minor"/>.</summary>
    public static string ReadAheadPath(int minor) => $"/sys/class/bdi/0:{minor.ToString(CultureInfo.InvariantCulture)}/read_ahead_kb";

    /// <summary>
    /// Aborts a connection: every pending and future request fails at once, so no caller stays hung on a daemon
    /// that is gone or stuck. Mounts fusectl first when it is not mounted (root only).
    /// </summary>
    public static bool TryAbort(int minor)
    {
        var abort = Path.Combine(ConnectionsDirectory, minor.ToString(CultureInfo.InvariantCulture), "abort");
        if (!File.Exists(abort) && LibC.GetEuid() == 0 && MountTable.Find(ConnectionsDirectory) is null)
            LibC.Mount("fusectl", ConnectionsDirectory, "fusectl", 0, "");
        try
        {
            File.WriteAllText(abort, "1");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
