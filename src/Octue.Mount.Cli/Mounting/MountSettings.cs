using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Octue.Mount.Vfs;

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

    /// <summary>Bytes of each request of a file streamed while it is written (0: files are uploaded whole at close).</summary>
    public long WriteChunkSize { get; init; } = FileSystemOptions.DefaultWriteChunkSize;
    public bool ReadOnly { get; init; }
    public uint? Uid { get; init; }
    public uint? Gid { get; init; }
    public uint FileMode { get; init; } = 0b110_100_100;
    public uint DirectoryMode { get; init; } = 0b111_101_101;
    public bool AllowOther { get; init; }
    public bool NonEmpty { get; init; }

    /// <summary>The kernel does not follow symlinks on the mount (<c>nosymfollow</c>).</summary>
    public bool NoSymFollow { get; init; }

    /// <summary>Show stored setuid/setgid/sticky bits and mount without <c>nosuid</c> (<c>suid</c>).</summary>
    public bool AllowSetuid { get; init; }

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

    /// <summary>The readable part of a default cache folder's name is cut to this many characters.</summary>
    private const int MaxReadableName = 64;

    /// <summary>
    /// The cache folder: the one given, else one per source under the user's cache directory, so staged writes of a
    /// crashed mount are found again by the next mount of the same source (<see cref="DefaultFolderName"/>).
    /// </summary>
    public string ResolveCacheDirectory(MountSource source) =>
        !string.IsNullOrEmpty(CacheDirectory)
            ? Path.GetFullPath(CacheDirectory)
            : Path.Combine(CacheBase(), "octue-mount", DefaultFolderName(source));

    /// <summary>
    /// The default cache folder versions before 0.2 used for this source (named by the source alone, so different
    /// sources could share one); null when a cache folder is given. It is not used any more: see README.
    /// </summary>
    public string? LegacyCacheDirectory() =>
        string.IsNullOrEmpty(CacheDirectory) ? Path.Combine(CacheBase(), "octue-mount", SafeFolderName(Source ?? ("project-" + Project))) : null;

    private static string CacheBase()
    {
        var baseDirectory = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(baseDirectory))
            return baseDirectory;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return OperatingSystem.IsWindows()
            ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
            : Linux.UnixProcess.IsRoot || string.IsNullOrEmpty(home) ? "/var/cache" : Path.Combine(home, ".cache");
    }

    /// <summary>
    /// A default cache folder's name: a readable part (the source with every character that is not a letter, digit,
    /// '-', '_' or '.' made '_', at most 64 characters) and the first 12 hex digits of the SHA-256 of the source in
    /// its canonical form (<see cref="MountSource.ToString"/>). Two sources that read alike (<c>gs://b/a b</c>,
    /// <c>gs://b/a_b</c>, <c>gs://b/a/b</c>) get different folders; two spellings of one source (<c>gs://b/a</c>,
    /// <c>gs://b/a/</c>, <c>b/a</c>) share one; the name stays short however long the prefix.
    /// </summary>
    internal static string DefaultFolderName(MountSource source)
    {
        var canonical = source.ToString();
        var readable = SafeFolderName(canonical);
        if (readable.Length > MaxReadableName)
            readable = readable[..MaxReadableName].TrimEnd('.');
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..12];
        return $"{readable}-{hash}";
    }

    internal static string SafeFolderName(string source)
    {
        var text = source.StartsWith("gs://", StringComparison.OrdinalIgnoreCase) ? source[5..] : source;
        var chars = text.TrimEnd('/').Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray();
        var name = new string(chars).Trim('.');
        return name.Length == 0 ? "default" : name;
    }
}
