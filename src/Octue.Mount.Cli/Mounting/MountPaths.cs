using Octue.Mount.Vfs;

namespace Octue.Mount.Cli.Mounting;

/// <summary>
/// Checks the local paths a mount will use before anything is created. The log file and the cache folder must be
/// what they are called (a file, a folder) and must lie outside the mount point, and the mount point outside the
/// cache folder: a mount never touches its own mount (a request it sends to itself waits for itself), and a log or
/// cache written under the mount point would be hidden by the mount anyway.
/// </summary>
internal static class MountPaths
{
    /// <summary>Throws <see cref="MountOptionException"/> naming the first problem.</summary>
    public static void Check(MountSettings settings, MountSource source)
    {
        var mountPoint = Canonical(settings.MountPoint);
        if (settings.LogFile is { } log)
        {
            if (Directory.Exists(log))
                throw new MountOptionException($"The log file '{log}' is a folder: give --log-file the path of a file to append the log to.");
            if (IsWithin(Canonical(log), mountPoint))
                throw new MountOptionException($"The log file '{log}' is inside the mount point {settings.MountPoint}: a mount never writes into itself; put the log elsewhere.");
        }

        var cache = settings.ResolveCacheDirectory(source);
        if (File.Exists(cache))
            throw new MountOptionException($"The cache folder '{cache}' is a file: give --cache-dir a folder (it is made if missing).");
        var canonicalCache = Canonical(cache);
        if (IsWithin(canonicalCache, mountPoint))
            throw new MountOptionException($"The cache folder '{cache}' is inside the mount point {settings.MountPoint}: a mount never writes into itself; give --cache-dir a folder elsewhere.");
        if (IsWithin(mountPoint, canonicalCache))
            throw new MountOptionException($"The mount point {settings.MountPoint} is inside the cache folder '{cache}': give --cache-dir a folder elsewhere.");

        if (settings.CredentialsFile is { } key && Directory.Exists(key))
            throw new MountOptionException($"The credentials file '{key}' is a folder: give --credentials a service-account key file (JSON).");
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or lies under it (both canonical).</summary>
    internal static bool IsWithin(string path, string folder)
    {
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var withSeparator = folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar;
        return string.Equals(path, folder, comparison) || path.StartsWith(withSeparator, comparison);
    }

    /// <summary>
    /// The absolute path with every symbolic link along it resolved (the parts that do not exist yet are kept as
    /// given), so a path reached through a link is recognised for where it really is.
    /// </summary>
    internal static string Canonical(string path) => Canonical(Path.GetFullPath(path), depth: 0);

    private static string Canonical(string full, int depth)
    {
        var root = Path.GetPathRoot(full) ?? "";
        var result = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(result, part);
            string? target = null;
            try
            {
                // A dead mount's folder cannot even be looked at (ENOTCONN): it is no link.
                target = new FileInfo(next).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }

            result = target is not null && depth < 40
                ? Canonical(Path.GetFullPath(target, result), depth + 1)
                : next;
        }

        return result;
    }
}
