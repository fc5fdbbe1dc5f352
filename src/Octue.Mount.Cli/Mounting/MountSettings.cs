using Microsoft.Extensions.Logging;

namespace Octue.Mount.Cli.Mounting;

/// <summary>Everything <c>octue-mount mount</c> was asked to do, from command-line options and <c>-o key=value</c> lists alike.</summary>
internal sealed record MountSettings
{
    public string? Source { get; init; }
    public string? Project { get; init; }
    public required string MountPoint { get; init; }
    public string? CacheDirectory { get; init; }
    public long CacheSizeBytes { get; init; } = 10L * 1024 * 1024 * 1024;
    public TimeSpan MetadataTtl { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Bytes of one ranged GET of the read path (and of one content-cache chunk).</summary>
    public int ReadChunkSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>Ranged GETs a sequential reader keeps in flight ahead of itself.</summary>
    public int ReadParallelism { get; init; } = 4;

    /// <summary>Bytes of download buffers all readers of the mount may hold at once.</summary>
    public long ReadMemoryLimit { get; init; } = 256L * 1024 * 1024;
    public bool ReadOnly { get; init; }
    public uint? Uid { get; init; }
    public uint? Gid { get; init; }
    public uint FileMode { get; init; } = 0b110_100_100;
    public uint DirectoryMode { get; init; } = 0b111_101_101;
    public bool AllowOther { get; init; }
    public bool NonEmpty { get; init; }
    /// <summary>Hand reads of whole, verified cached objects to the kernel (FUSE passthrough; docs/read-path.md).</summary>
    public bool Passthrough { get; init; }
    public LogLevel LogLevel { get; init; } = LogLevel.Information;
    public string? LogFile { get; init; }
    public string? CredentialsFile { get; init; }
    public bool Foreground { get; init; }

    /// <summary>Where to serve metrics for Prometheus (<c>--prometheus-port</c>); null serves none.</summary>
    public MetricsEndpoint? PrometheusEndpoint { get; init; }

    /// <summary>Mount through fusermount3 even as root (the path of non-root users, for tests).</summary>
    public bool ViaFusermount { get; init; }

    /// <summary>
    /// The cache folder: the one given, else one per source under the user's cache directory, so staged writes of a
    /// crashed mount are found again by the next mount of the same source.
    /// </summary>
    public string ResolveCacheDirectory()
    {
        if (!string.IsNullOrEmpty(CacheDirectory))
            return Path.GetFullPath(CacheDirectory);
        var baseDirectory = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(baseDirectory))
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            baseDirectory = OperatingSystem.IsWindows()
                ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
                : Linux.UnixProcess.IsRoot || string.IsNullOrEmpty(home) ? "/var/cache" : Path.Combine(home, ".cache");
        }
        return Path.Combine(baseDirectory, "octue-mount", SafeFolderName(Source ?? ("project-" + Project)));
    }

    internal static string SafeFolderName(string source)
    {
        var text = source.StartsWith("gs://", StringComparison.OrdinalIgnoreCase) ? source[5..] : source;
        var chars = text.TrimEnd('/').Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray();
        var name = new string(chars).Trim('.');
        return name.Length == 0 ? "default" : name;
    }
}
