using System.Globalization;
using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;

namespace Octue.Mount.Cli.Mounting;

/// <summary>
/// Applies <c>key=value</c> mount options (from <c>-o a,b=c</c>, an /etc/fstab line, or the long options) to
/// <see cref="MountSettings"/>. Options that only mean something to mount(8) or fstab are accepted and ignored;
/// anything else unknown is an error that names the option.
/// </summary>
internal static class MountOptionParser
{
    /// <summary>Options mount(8), systemd and fstab use for themselves; they change nothing here.</summary>
    private static readonly HashSet<string> Ignored = new(StringComparer.Ordinal)
    {
        "defaults", "auto", "noauto", "nofail", "user", "users", "nouser", "owner", "group", "_netdev", "netdev",
        "exec", "noexec", "dev", "nodev", "async", "sync", "atime", "noatime", "relatime",
        "norelatime", "strictatime", "diratime", "nodiratime", "lazytime", "nolazytime", "loud", "silent",
    };

    /// <summary>The read path refuses more; checked here too so the error names the option instead of failing the mount.</summary>
    private const int MaxReadParallelism = 64;

    /// <summary>Splits an <c>-o</c> list on commas (a backslash escapes a comma inside a value).</summary>
    public static IReadOnlyList<string> Split(string list)
    {
        var items = new List<string>();
        var current = new System.Text.StringBuilder();
        for (var i = 0; i < list.Length; i++)
        {
            var c = list[i];
            if (c == '\\' && i + 1 < list.Length && list[i + 1] == ',')
            {
                current.Append(',');
                i++;
            }
            else if (c == ',')
            {
                if (current.Length > 0)
                    items.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        if (current.Length > 0)
            items.Add(current.ToString());
        return items;
    }

    public static MountSettings Apply(MountSettings settings, string option)
    {
        var equals = option.IndexOf('=');
        var key = (equals < 0 ? option : option[..equals]).Trim();
        var value = equals < 0 ? null : option[(equals + 1)..];
        if (Ignored.Contains(key) || key.StartsWith("x-", StringComparison.Ordinal) || key == "comment")
            return settings;
        return key switch
        {
            "ro" or "read_only" => settings with { ReadOnly = value is null || ParseBool(key, value) },
            "rw" => settings with { ReadOnly = false },
            "allow_other" => settings with { AllowOther = value is null || ParseBool(key, value) },
            "nonempty" => settings with { NonEmpty = value is null || ParseBool(key, value) },
            "nosymfollow" => settings with { NoSymFollow = value is null || ParseBool(key, value) },
            "symfollow" => settings with { NoSymFollow = false },
            "suid" => settings with { AllowSetuid = value is null || ParseBool(key, value) },
            "nosuid" => settings with { AllowSetuid = false },
            "passthrough" => settings with { Passthrough = value is null || ParseBool(key, value) },
            "foreground" => settings with { Foreground = value is null || ParseBool(key, value) },
            "cache_dir" => settings with { CacheDirectory = Required(key, value) },
            "cache_size" => settings with { CacheSizeBytes = ParseSize(key, Required(key, value)) },
            "metadata_ttl" or "ttl" => settings with { MetadataTtl = ParseDuration(key, Required(key, value)) },
            "read_chunk_size" => settings with { ReadChunkSize = ParseChunkSize(key, Required(key, value)) },
            "read_parallelism" => settings with { ReadParallelism = ParseParallelism(key, Required(key, value)) },
            "read_memory_limit" => settings with { ReadMemoryLimit = ParseSize(key, Required(key, value)) },
            "write_chunk_size" => settings with { WriteChunkSize = ParseWriteChunkSize(key, Required(key, value)) },
            "uid" => settings with { Uid = ParseId(key, Required(key, value)) },
            "gid" => settings with { Gid = ParseId(key, Required(key, value)) },
            "file_mode" => settings with { FileMode = ParseMode(key, Required(key, value)) },
            "dir_mode" => settings with { DirectoryMode = ParseMode(key, Required(key, value)) },
            "log_level" => settings with { LogLevel = ParseLogLevel(Required(key, value)) },
            "log_file" => settings with { LogFile = Required(key, value) },
            "credentials" => settings with { CredentialsFile = Required(key, value) },
            "project" => settings with { Project = Required(key, value) },
            "prometheus_port" => settings with { PrometheusEndpoint = MetricsEndpoint.Parse(key, Required(key, value)) },
            _ => throw new MountOptionException($"Unknown mount option '{key}'. Known: ro, rw, allow_other, nonempty, nosymfollow, suid, passthrough, cache_dir=, cache_size=, metadata_ttl=, read_chunk_size=, read_parallelism=, read_memory_limit=, write_chunk_size=, uid=, gid=, file_mode=, dir_mode=, log_level=, log_file=, credentials=, project=, prometheus_port=."),
        };
    }

    public static MountSettings ApplyList(MountSettings settings, string list)
    {
        foreach (var option in Split(list))
            settings = Apply(settings, option);
        return settings;
    }

    /// <summary>
    /// Rules between options, checked once every option is applied so their order does not matter: the read memory
    /// limit must hold one chunk, or a read could never get the buffer it waits for.
    /// </summary>
    public static MountSettings Validate(MountSettings settings) =>
        settings.ReadMemoryLimit >= settings.ReadChunkSize
            ? settings
            : throw new MountOptionException(
                $"Mount option 'read_memory_limit' ({FormatSize(settings.ReadMemoryLimit)}) must be at least 'read_chunk_size' ({FormatSize(settings.ReadChunkSize)}): it has to hold one chunk.");

    private static string Required(string key, string? value) =>
        string.IsNullOrEmpty(value) ? throw new MountOptionException($"Mount option '{key}' needs a value ({key}=...).") : value;

    private static bool ParseBool(string key, string value) => value.ToLowerInvariant() switch
    {
        "1" or "true" or "yes" or "on" => true,
        "0" or "false" or "no" or "off" => false,
        _ => throw new MountOptionException($"Mount option '{key}' takes true or false, not '{value}'."),
    };

    /// <summary>The largest user or group id: 4294967295 is (uid_t)-1, which means "no id" to chown(2).</summary>
    private const uint MaxId = uint.MaxValue - 1;

    private static uint ParseId(string key, string value) =>
        uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id <= MaxId
            ? id
            : throw new MountOptionException($"Mount option '{key}' takes a numeric id from 0 to {MaxId}, not '{value}'.");

    /// <summary>
    /// Permission bits in octal, as chmod takes them (644, 0644, 0o644): at most 777. Setuid, setgid and sticky bits are
    /// refused: a default mode gives them to every file or folder without a stored mode.
    /// </summary>
    public static uint ParseMode(string key, string value)
    {
        var digits = value.StartsWith("0o", StringComparison.OrdinalIgnoreCase) ? value[2..] : value;
        if (digits.Length == 0 || digits.Length > 5 || digits.Any(c => c < '0' || c > '7'))
            throw new MountOptionException($"Mount option '{key}' takes octal permission bits such as 644, not '{value}'.");
        var mode = Convert.ToUInt32(digits, 8);
        return mode <= 0x1FF
            ? mode
            : throw new MountOptionException(
                $"Mount option '{key}' takes permission bits from 000 to 777, not '{value}': setuid, setgid and sticky bits cannot be a default.");
    }

    /// <summary>
    /// A ranged GET's size, within the content cache's chunk layout: whole 64 KiB blocks (the unit it checksums), at
    /// most 256 MiB. Checked here so a bad value fails with the option's name before anything is mounted.
    /// </summary>
    private static int ParseChunkSize(string key, string value)
    {
        var bytes = ParseSize(key, value);
        return bytes >= ChunkLayout.BlockSize && bytes <= ChunkLayout.MaxChunkSize && bytes % ChunkLayout.BlockSize == 0
            ? (int)bytes
            : throw new MountOptionException($"Mount option '{key}' must be a multiple of 64K from 64K to 256M (such as 1M or 16M), not '{value}'.");
    }

    /// <summary>
    /// The request size of a streamed write: a multiple of 256K (what a resumable upload takes before its last
    /// request) up to 256M, or 0 for no streaming.
    /// </summary>
    private static long ParseWriteChunkSize(string key, string value)
    {
        const long quantum = 256 * 1024;
        var bytes = ParseSize(key, value);
        return bytes == 0 || (bytes >= quantum && bytes <= 256L * 1024 * 1024 && bytes % quantum == 0)
            ? bytes
            : throw new MountOptionException($"Mount option '{key}' must be 0 (no streaming) or a multiple of 256K from 256K to 256M (such as 16M), not '{value}'.");
    }

    /// <summary>Chunks a sequential reader downloads ahead of itself, in parallel: 1 to 64.</summary>
    private static int ParseParallelism(string key, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count is >= 1 and <= MaxReadParallelism
            ? count
            : throw new MountOptionException($"Mount option '{key}' takes a whole number from 1 to {MaxReadParallelism}, not '{value}'.");

    /// <summary>Bytes as the size options take them back: the largest binary suffix that divides them.</summary>
    internal static string FormatSize(long bytes)
    {
        foreach (var (suffix, shift) in new[] { ("T", 40), ("G", 30), ("M", 20), ("K", 10) })
        {
            if (bytes != 0 && bytes % (1L << shift) == 0)
                return (bytes >> shift).ToString(CultureInfo.InvariantCulture) + suffix;
        }
        return bytes.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Bytes with an optional K, M, G or T suffix (powers of 1024; a trailing B or iB is allowed).</summary>
    public static long ParseSize(string key, string value)
    {
        var text = value.Trim();
        if (text.EndsWith("iB", StringComparison.OrdinalIgnoreCase))
            text = text[..^2];
        else if (text.EndsWith('B') || text.EndsWith('b'))
            text = text[..^1];
        long multiplier = 1;
        if (text.Length > 0 && char.IsLetter(text[^1]))
        {
            multiplier = char.ToUpperInvariant(text[^1]) switch
            {
                'K' => 1L << 10,
                'M' => 1L << 20,
                'G' => 1L << 30,
                'T' => 1L << 40,
                _ => 0,
            };
            text = text[..^1];
        }
        if (multiplier == 0 || !double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) || number < 0)
            throw new MountOptionException($"Mount option '{key}' takes a size such as 512M or 10G, not '{value}'.");
        return (long)(number * multiplier);
    }

    /// <summary>A duration in seconds ("1", "0.5") or with a unit ("500ms", "2s", "1m").</summary>
    public static TimeSpan ParseDuration(string key, string value)
    {
        var text = value.Trim();
        double scale = 1;
        if (text.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
        {
            scale = 0.001;
            text = text[..^2];
        }
        else if (text.EndsWith('s'))
        {
            text = text[..^1];
        }
        else if (text.EndsWith('m'))
        {
            scale = 60;
            text = text[..^1];
        }
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) || number < 0)
            throw new MountOptionException($"Mount option '{key}' takes a duration such as 1, 0.5, 500ms or 2s, not '{value}'.");
        return TimeSpan.FromSeconds(number * scale);
    }

    public static LogLevel ParseLogLevel(string value) => value.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" or "information" => LogLevel.Information,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        "none" or "off" => LogLevel.None,
        _ => throw new MountOptionException($"Unknown log level '{value}': use trace, debug, info, warning, error or none."),
    };
}

/// <summary>A mount option that could not be understood; the message names it.</summary>
internal sealed class MountOptionException(string message) : Exception(message);
