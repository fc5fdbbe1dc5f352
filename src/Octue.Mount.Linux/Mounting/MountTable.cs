using System.Globalization;
using System.Text;

namespace Octue.Mount.Linux.Mounting;

/// <summary>One line of /proc/self/mountinfo.</summary>
public sealed record MountEntry(string MountPoint, int Major, int Minor, string FileSystemType, string Source);

/// <summary>
/// Reads /proc/self/mountinfo. Finding a mount there never touches the mount itself, which matters for a daemon
/// that must never access the file system it serves.
/// </summary>
public static class MountTable
{
    public static IReadOnlyList<MountEntry> Read(string path = "/proc/self/mountinfo") => Parse(File.ReadAllText(path));

    public static IReadOnlyList<MountEntry> Parse(string mountInfo)
    {
        var entries = new List<MountEntry>();
        foreach (var line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-", 6);
            if (fields.Length < 7 || separator < 0 || separator + 2 >= fields.Length)
                continue;
            var device = fields[2].Split(':');
            if (device.Length != 2 || !int.TryParse(device[0], CultureInfo.InvariantCulture, out var major) ||
                !int.TryParse(device[1], CultureInfo.InvariantCulture, out var minor))
                continue;
            entries.Add(new MountEntry(Unescape(fields[4]), major, minor, Unescape(fields[separator + 1]), Unescape(fields[separator + 2])));
        }
        return entries;
    }

    /// <summary>The mount whose mount point is exactly <paramref name="mountPoint"/> (the last one, if stacked).</summary>
    public static MountEntry? Find(string mountPoint, IReadOnlyList<MountEntry>? entries = null)
    {
        entries ??= Read();
        MountEntry? found = null;
        foreach (var entry in entries)
        {
            if (entry.MountPoint == mountPoint)
                found = entry;
        }
        return found;
    }

    /// <summary>mountinfo writes space, tab, newline and backslash as \ooo octal escapes.</summary>
    public static string Unescape(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var bytes = new List<byte>(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                bytes.Add((byte)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(string s, int start)
    {
        if (start + 3 > s.Length)
            return false;
        for (var i = start; i < start + 3; i++)
        {
            if (s[i] < '0' || s[i] > '7')
                return false;
        }
        return true;
    }
}
