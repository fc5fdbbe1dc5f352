using System.Globalization;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// POSIX attributes kept in custom object metadata. We write the keys gsutil uses (<c>goog-reserved-file-mtime</c>
/// in whole seconds, <c>goog-reserved-posix-mode</c> as an octal string, <c>-uid</c>, <c>-gid</c> as decimal) and
/// read gcsfuse's (<c>gcsfuse_mtime</c>) and rclone's (<c>mtime</c>) RFC 3339 mtimes too. Symlinks are zero-byte
/// objects with <c>gcsfuse_symlink_target</c>, as gcsfuse stores them.
/// <para>
/// The mode is input from whoever can write the bucket: only its permission bits are shown. Setuid, setgid and sticky
/// bits are dropped unless the mount asks for them (<see cref="FileSystemOptions.AllowSetuid"/>), so a stored
/// <c>104755</c> never shows <c>-rwsr-xr-x</c> (which <c>cp -a</c> as root would carry onto a local disk), and the
/// file-type bits (<c>170000</c>) are always dropped: the node's kind comes from the object, never from its metadata.
/// A uid or gid of 4294967295 ((uid_t)-1, "no owner") is ignored.
/// </para>
/// </summary>
internal static class PosixMetadata
{
    /// <summary>rwx for user, group and others (0777).</summary>
    public const uint PermissionBits = 0x1FF;

    /// <summary>Setuid, setgid and sticky (07000).</summary>
    public const uint SpecialBits = 0xE00;

    public const string MtimeKey = "goog-reserved-file-mtime";
    public const string ModeKey = "goog-reserved-posix-mode";
    public const string UidKey = "goog-reserved-posix-uid";
    public const string GidKey = "goog-reserved-posix-gid";
    public const string GcsfuseMtimeKey = "gcsfuse_mtime";
    public const string RcloneMtimeKey = "mtime";
    public const string SymlinkTargetKey = "gcsfuse_symlink_target";

    private const long NsPerSecond = 1_000_000_000;

    /// <summary>Longest symlink target shown (PATH_MAX less its NUL): the kernel refuses a longer readlink reply.</summary>
    public const int MaxSymlinkTargetBytes = 4095;

    // Times a 64-bit count of nanoseconds since 1970 can hold (1677-09-21 to 2262-04-11); a stored time outside is ignored.
    private static readonly DateTimeOffset MinNsTime = FromNs(long.MinValue / 100 * 100 + NsPerSecond);
    private static readonly DateTimeOffset MaxNsTime = FromNs(long.MaxValue / 100 * 100 - NsPerSecond);

    /// <summary>True for keys that carry POSIX attributes or a symlink target.</summary>
    public static bool IsPosixKey(string key) =>
        key is MtimeKey or ModeKey or UidKey or GidKey or GcsfuseMtimeKey or RcloneMtimeKey or SymlinkTargetKey;

    public static string? SymlinkTarget(ObjectInfo info) =>
        info.Metadata.TryGetValue(SymlinkTargetKey, out var target) ? target : null;

    /// <summary>What an object is shown as: a symlink when it carries a target, else a file.</summary>
    public static NodeKind KindOf(ObjectInfo info) => SymlinkTarget(info) is null ? NodeKind.File : NodeKind.Symlink;

    /// <summary>
    /// Why a stored symlink target cannot be handed to the kernel, or null when it can: an empty target (no path
    /// resolves it), one holding NUL (the kernel would cut it there and follow another path), or one over
    /// <see cref="MaxSymlinkTargetBytes"/> (the kernel refuses the reply).
    /// </summary>
    public static string? SymlinkTargetProblem(string target) =>
        target.Length == 0 ? "its target is empty"
        : target.Contains('\0') ? "its target contains NUL"
        : System.Text.Encoding.UTF8.GetByteCount(target) > MaxSymlinkTargetBytes ? $"its target is longer than {MaxSymlinkTargetBytes} bytes"
        : null;

    /// <summary>Modification time in ns since the epoch: gsutil's key, then gcsfuse's, then rclone's, then the object's update time.</summary>
    public static long ModifiedNs(ObjectInfo info)
    {
        var metadata = info.Metadata;
        if (metadata.TryGetValue(MtimeKey, out var seconds) &&
            long.TryParse(seconds, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) &&
            s > long.MinValue / NsPerSecond && s < long.MaxValue / NsPerSecond)
        {
            return s * NsPerSecond;
        }

        if (metadata.TryGetValue(GcsfuseMtimeKey, out var gcsfuse) && TryParseRfc3339(gcsfuse, out var ns))
        {
            return ns;
        }

        if (metadata.TryGetValue(RcloneMtimeKey, out var rclone) && TryParseRfc3339(rclone, out ns))
        {
            return ns;
        }

        return ToNs(info.Updated);
    }

    /// <summary>The mode bits to show from the object's stored mode (see the class remarks); null when it has none.</summary>
    public static uint? Mode(ObjectInfo info, bool allowSetuid) =>
        ParseMode(info.Metadata.GetValueOrDefault(ModeKey), allowSetuid);

    /// <summary>The mode bits to show from an octal string such as "644"; null when it is not one.</summary>
    public static uint? ParseMode(string? text, bool allowSetuid) =>
        text is not null && TryParseOctal(text, out var mode) ? mode & (allowSetuid ? PermissionBits | SpecialBits : PermissionBits) : null;

    public static uint? Uid(ObjectInfo info) => ParseUInt(info.Metadata, UidKey);

    public static uint? Gid(ObjectInfo info) => ParseUInt(info.Metadata, GidKey);

    /// <summary>Writes an mtime under gsutil's key, and refreshes gcsfuse's or rclone's key when the object already had one.</summary>
    public static void SetModified(IDictionary<string, string> metadata, long modifiedNs)
    {
        metadata[MtimeKey] = (modifiedNs / NsPerSecond).ToString(CultureInfo.InvariantCulture);
        var rfc3339 = FromNs(modifiedNs).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        if (metadata.ContainsKey(GcsfuseMtimeKey))
        {
            metadata[GcsfuseMtimeKey] = rfc3339;
        }

        if (metadata.ContainsKey(RcloneMtimeKey))
        {
            metadata[RcloneMtimeKey] = rfc3339;
        }
    }

    /// <summary>The entries a chmod/chown sets, under gsutil's keys: one for each of mode, uid and gid that is given.</summary>
    public static Dictionary<string, string> Ownership(uint? mode, uint? uid, uint? gid)
    {
        var entries = new Dictionary<string, string>(3, StringComparer.Ordinal);
        if (mode is { } m)
        {
            entries[ModeKey] = FormatMode(m);
        }

        if (uid is { } u)
        {
            entries[UidKey] = u.ToString(CultureInfo.InvariantCulture);
        }

        if (gid is { } g)
        {
            entries[GidKey] = g.ToString(CultureInfo.InvariantCulture);
        }

        return entries;
    }

    public static string FormatMode(uint mode) => Convert.ToString(mode & 0xFFF, 8);

    public static long ToNs(DateTimeOffset time) => (time.UtcTicks - DateTime.UnixEpoch.Ticks) * 100;

    public static DateTimeOffset FromNs(long ns) => new(DateTime.UnixEpoch.Ticks + ns / 100, TimeSpan.Zero);

    private static bool TryParseRfc3339(string text, out long ns)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            && time > MinNsTime && time < MaxNsTime)
        {
            ns = ToNs(time);
            return true;
        }

        ns = 0;
        return false;
    }

    private static bool TryParseOctal(string text, out uint value)
    {
        value = 0;
        text = text.Trim();
        if (text.Length == 0 || text.Length > 11)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is < '0' or > '7')
            {
                return false;
            }

            value = value * 8 + (uint)(c - '0');
        }

        return true;
    }

    /// <summary>An id stored under <paramref name="key"/>; null when absent, not a number, or (uid_t)-1.</summary>
    public static uint? ParseUInt(IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var text) && uint.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            && value != uint.MaxValue
            ? value
            : null;
}
