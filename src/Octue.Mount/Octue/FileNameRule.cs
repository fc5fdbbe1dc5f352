using System.Text;

namespace Octue.Mount.Octue;

/// <summary>What <see cref="FileNameRule.Check"/> says of one name segment.</summary>
internal enum FileNameVerdict
{
    /// <summary>The segment can be a file name.</summary>
    Valid,

    /// <summary>Empty, <c>.</c>, <c>..</c>, or holding '/' or NUL.</summary>
    Invalid,

    /// <summary>Longer than <see cref="FileNameRule.MaxNameBytes"/> bytes of UTF-8.</summary>
    TooLong,
}

/// <summary>
/// The one rule for object names that cannot be file names (docs/naming.md says the same to users). It lives beside
/// the Octue data containers because both the mount (the Vfs projection) and a download to local files follow it,
/// so what a download writes is what a mount of the same bucket shows.
/// <para>
/// Objects are shown by splitting their names at '/'. A name segment is shown when it is a valid file name:
/// not empty, not "." or "..", at most 255 bytes of UTF-8, and free of NUL. Any object or prefix whose next
/// segment is not a valid file name is <b>hidden</b> from that directory (readdir skips it, lookup gives ENOENT)
/// and logged once per listing; it stays untouched in the bucket and is reachable with other tools.
/// So <c>a//b</c> (empty segment), <c>a/./b</c>, <c>a/../b</c> and names with a segment over 255 bytes are hidden.
/// </para>
/// <para>
/// When an object and a prefix share a name (<c>x</c> and <c>x/y</c>), the <b>directory wins</b>: <c>x</c> is a
/// directory holding <c>y</c>, and the object <c>x</c> is hidden (and logged). This is what gcsfuse's
/// implicit-directories mode and rclone show for such buckets, short of renaming the file.
/// </para>
/// <para>
/// The placeholder object of a directory (<c>dir/</c>) is the directory itself, not an entry in it. Names given to
/// the file system by the kernel are checked by the same rule, so no operation can name an object outside the
/// mounted tree.
/// </para>
/// </summary>
internal static class FileNameRule
{
    /// <summary>Longest file name (bytes of UTF-8) shown.</summary>
    public const int MaxNameBytes = 255;

    /// <summary>True when <paramref name="segment"/> can be shown as a file name.</summary>
    public static bool IsValidSegment(string segment) => Check(segment) == FileNameVerdict.Valid;

    /// <summary>Whether <paramref name="segment"/> can be a file name, and if not, which part of the rule it breaks.</summary>
    public static FileNameVerdict Check(string segment)
    {
        if (segment.Length == 0 || segment == "." || segment == "..")
        {
            return FileNameVerdict.Invalid;
        }

        if (segment.AsSpan().IndexOfAny('/', '\0') >= 0)
        {
            return FileNameVerdict.Invalid;
        }

        // Fast path: 255 UTF-16 units can hold more than 255 UTF-8 bytes only when non-ASCII.
        if (segment.Length > MaxNameBytes || (segment.Length > MaxNameBytes / 3 && Encoding.UTF8.GetByteCount(segment) > MaxNameBytes))
        {
            return FileNameVerdict.TooLong;
        }

        return FileNameVerdict.Valid;
    }

    /// <summary>Why a segment is hidden, for the log (a name given whole, such as a manifest's dataset key, may hold '/').</summary>
    public static string Reason(string segment) => Check(segment) switch
    {
        FileNameVerdict.Valid => "it is a valid name",
        FileNameVerdict.TooLong => "a name segment is longer than 255 bytes",
        _ when segment.Length == 0 => "it has an empty name segment ('//')",
        _ when segment is "." or ".." => $"it has a '{segment}' name segment",
        _ when segment.Contains('\0') => "a name segment contains NUL",
        _ => "the name contains '/', which cannot be in one file name",
    };
}
