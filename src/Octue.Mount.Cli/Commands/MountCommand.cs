using System.CommandLine;
using Octue.Mount.Cli.Logging;
using Octue.Mount.Cli.Mounting;
using Octue.Mount.Vfs;
using Octue.Mount.Linux;

namespace Octue.Mount.Cli.Commands;

/// <summary>
/// <c>octue-mount mount SOURCE MOUNTPOINT [options]</c>: mounts a bucket, a prefix, a manifest or a project and
/// returns once the mount answers. Also the mount(8) helper's form (<c>SOURCE DIR [-sfnv] -o OPTIONS</c>).
/// </summary>
internal static class MountCommand
{
    public static Command Create()
    {
        var targets = new Argument<string[]>("source-and-mountpoint")
        {
            Description = "SOURCE MOUNTPOINT, or just MOUNTPOINT with --project. SOURCE: gs://BUCKET[/PREFIX] or gs://BUCKET/PATH/MANIFEST.json.",
            // Any number, so a mistyped option is not taken for SOURCE and then blamed on MOUNTPOINT: checked below.
            Arity = ArgumentArity.ZeroOrMore,
        };
        var project = new Option<string?>("--project") { Description = "Mount every bucket of this Google Cloud project (one directory per bucket)." };
        var foreground = new Option<bool>("--foreground") { Description = "Stay in the foreground until unmounted (for systemd and containers)." };
        var options = new Option<string[]>("-o") { Description = "Mount options as key=value,... (the same names as fstab; see README).", AllowMultipleArgumentsPerToken = false };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Folder for cached content and staged writes (default: one per source under ~/.cache/octue-mount)." };
        var cacheSize = new Option<string?>("--cache-size") { Description = "Size bound of the content cache, e.g. 10G (default 10G)." };
        var ttl = new Option<string?>("--metadata-ttl") { Description = "How long file attributes and listings are trusted, e.g. 1, 0.5, 5s (default 1 s)." };
        // The read path's knobs, named as rclone (--vfs-read-chunk-size, --vfs-read-chunk-streams) and mountpoint-s3
        // (--read-part-size) users know them, all starting with "read" because they shape reads only: the memory
        // limit bounds read-ahead buffers, not the process, so it is not called --memory-limit.
        var readChunkSize = new Option<string?>("--read-chunk-size") { Description = "Size of each ranged GET (and cached chunk), a multiple of 64K up to 256M (default 8M)." };
        var readParallelism = new Option<string?>("--read-parallelism") { Description = "Ranged GETs a sequential reader keeps in flight ahead of itself, 1 to 64 (default 4)." };
        var readMemoryLimit = new Option<string?>("--read-memory-limit") { Description = "Memory for read-ahead buffers of the whole mount, at least one chunk (default 256M)." };
        var writeChunkSize = new Option<string?>("--write-chunk-size") { Description = "A file written from its start streams to GCS while it is written, in requests of this size: a multiple of 256K up to 256M, or 0 to upload files whole at close (default 16M)." };
        var readOnly = new Option<bool>("--read-only") { Description = "Refuse every change." };
        var uid = new Option<string?>("--uid") { Description = "Owner of files without stored POSIX attributes (default: you)." };
        var gid = new Option<string?>("--gid") { Description = "Group of files without stored POSIX attributes (default: yours)." };
        var fileMode = new Option<string?>("--file-mode") { Description = "Permission bits of files, octal (default 644)." };
        var dirMode = new Option<string?>("--dir-mode") { Description = "Permission bits of directories, octal (default 755)." };
        var allowOther = new Option<bool>("--allow-other") { Description = "Let other users use the mount (as non-root this needs user_allow_other in /etc/fuse.conf)." };
        var nonEmpty = new Option<bool>("--nonempty") { Description = "Mount over a directory that is not empty." };
        var noSymFollow = new Option<bool>("--nosymfollow") { Description = "The kernel does not follow symlinks on the mount (any bucket writer can point one at a local file); readlink still shows them." };
        var allowSuid = new Option<bool>("--allow-suid") { Description = "Show setuid/setgid/sticky bits stored in objects and mount without nosuid (only for buckets as trusted as the local disk)." };
        var passthrough = new Option<bool>("--passthrough")
        {
            Description = "Let the kernel read whole, verified cached objects itself (FUSE passthrough; root, Linux 6.9+). While a file is open that way, a read-write open of it fails (ETXTBSY) until it closes: see docs/read-path.md.",
        };
        var logLevel = new Option<string?>("--log-level") { Description = "trace, debug, info (default), warning, error or none." };
        var logFile = new Option<string?>("--log-file") { Description = "Append the log to this file (a background mount otherwise logs nowhere)." };
        var credentials = new Option<string?>("--credentials") { Description = "Service account key file (default: Application Default Credentials)." };
        var prometheusPort = new Option<string?>("--prometheus-port") { Description = "Serve metrics for Prometheus at http://127.0.0.1:PORT/metrics; [ADDRESS:]PORT, e.g. 0.0.0.0:9464, listens there instead." };
        // mount(8) passes these to helpers: -f fake, -n no mtab, -s sloppy, -v verbose.
        var fake = new Option<bool>("-f") { Hidden = true };
        var noMtab = new Option<bool>("-n") { Hidden = true };
        var sloppy = new Option<bool>("-s") { Hidden = true };
        var verbose = new Option<bool>("-v") { Hidden = true };
        var notifyReady = new Option<bool>(DetachedLauncher.NotifyReadyOption) { Hidden = true };
        // Mounts through fusermount3 even as root, so the path every non-root user takes can be exercised as root.
        var viaFusermount = new Option<bool>("--via-fusermount") { Hidden = true };

        var command = new Command("mount", "Mount a bucket, a prefix, an Octue manifest or a project as a folder.")
        {
            targets, project, foreground, options, cacheDir, cacheSize, ttl, readChunkSize, readParallelism, readMemoryLimit, writeChunkSize, readOnly, uid, gid, fileMode, dirMode,
            allowOther, nonEmpty, noSymFollow, allowSuid, passthrough, logLevel, logFile, credentials, prometheusPort, fake, noMtab, sloppy, verbose, notifyReady, viaFusermount,
        };
        command.SetAction(async (result, ct) =>
        {
            MountSettings settings;
            try
            {
                var positional = result.GetValue(targets) ?? [];
                if (Array.Find(positional, p => p.Length > 1 && p[0] == '-') is { } unknown)
                    throw new MountOptionException($"Unknown option '{unknown}' (see octue-mount mount --help; mount options also go in -o key=value,...).");
                if (positional.Length > 2)
                    throw new MountOptionException($"Too many arguments: give SOURCE and MOUNTPOINT ('{positional[2]}' is one too many).");
                settings = positional.Length == 2
                    ? new MountSettings { Source = positional[0], MountPoint = positional[1] }
                    : new MountSettings { MountPoint = positional.Length == 1 ? positional[0] : "" };
                foreach (var list in result.GetValue(options) ?? [])
                    settings = MountOptionParser.ApplyList(settings, list);
                settings = Apply(settings, "project", result.GetValue(project));
                settings = Apply(settings, "cache_dir", result.GetValue(cacheDir));
                settings = Apply(settings, "cache_size", result.GetValue(cacheSize));
                settings = Apply(settings, "metadata_ttl", result.GetValue(ttl));
                settings = Apply(settings, "read_chunk_size", result.GetValue(readChunkSize));
                settings = Apply(settings, "read_parallelism", result.GetValue(readParallelism));
                settings = Apply(settings, "read_memory_limit", result.GetValue(readMemoryLimit));
                settings = Apply(settings, "write_chunk_size", result.GetValue(writeChunkSize));
                settings = Apply(settings, "uid", result.GetValue(uid));
                settings = Apply(settings, "gid", result.GetValue(gid));
                settings = Apply(settings, "file_mode", result.GetValue(fileMode));
                settings = Apply(settings, "dir_mode", result.GetValue(dirMode));
                settings = Apply(settings, "log_level", result.GetValue(logLevel));
                settings = Apply(settings, "log_file", result.GetValue(logFile));
                settings = Apply(settings, "credentials", result.GetValue(credentials));
                settings = Apply(settings, "prometheus_port", result.GetValue(prometheusPort));
                if (result.GetValue(readOnly))
                    settings = settings with { ReadOnly = true };
                if (result.GetValue(allowOther))
                    settings = settings with { AllowOther = true };
                if (result.GetValue(nonEmpty))
                    settings = settings with { NonEmpty = true };
                if (result.GetValue(noSymFollow))
                    settings = settings with { NoSymFollow = true };
                if (result.GetValue(allowSuid))
                    settings = settings with { AllowSetuid = true };
                if (result.GetValue(passthrough))
                    settings = settings with { Passthrough = true };
                if (result.GetValue(foreground))
                    settings = settings with { Foreground = true };
                if (result.GetValue(viaFusermount))
                    settings = settings with { ViaFusermount = true };
                if (settings.MountPoint.Length == 0)
                    throw new MountOptionException("No mount point given.");
                if (positional.Length == 1 && settings.Project is null)
                    throw new MountOptionException("Give SOURCE and MOUNTPOINT (or --project PROJECT and MOUNTPOINT).");
                settings = MountOptionParser.Validate(settings);
                MountSource source;
                try
                {
                    source = MountSource.Parse(settings.Source, settings.Project);
                }
                catch (FormatException ex)
                {
                    throw new MountOptionException(ex.Message);
                }
                MountPaths.Check(settings, source);
            }
            catch (MountOptionException ex)
            {
                Console.Error.WriteLine($"octue-mount: {ex.Message}");
                return 2;
            }
            if (result.GetValue(fake))
                return 0;
            if (OperatingSystem.IsWindows())
                return await RunOnWindowsAsync(settings, ct);
            if (!OperatingSystem.IsLinux())
            {
                Console.Error.WriteLine("octue-mount: mounting needs Linux (FUSE) or Windows (WinFsp).");
                return 1;
            }
            if (!settings.Foreground)
                return await DetachedLauncher.LaunchAsync(Environment.GetCommandLineArgs()[1..], Path.GetFullPath(settings.MountPoint), ct);

            var notify = result.GetValue(notifyReady);
            if (notify)
                UnixProcess.StartNewSession();
            using var loggerFactory = CreateLogging(settings);
            if (loggerFactory is null)
                return 2;
            var host = new MountHost(settings, loggerFactory);
            var systemd = SystemdNotifications.FromEnvironment(loggerFactory.CreateLogger("octue-mount"));
            try
            {
                return await host.RunAsync(message =>
                {
                    Console.WriteLine(message);
                    systemd.Ready(message);
                    if (!notify)
                        return;
                    Console.WriteLine(DetachedLauncher.ReadyMarker);
                    Console.Out.Flush();
                    UnixProcess.DetachStandardStreams();
                }, ct, systemd.Stopping);
            }
            catch (MountFailedException ex)
            {
                Console.Error.WriteLine($"octue-mount: {ex.Message}");
                return ex.ExitCode;
            }
        });
        return command;
    }

    /// <summary>The logging of the mount, or null (the reason printed) when its log file cannot be written.</summary>
    private static Microsoft.Extensions.Logging.ILoggerFactory? CreateLogging(MountSettings settings)
    {
        try
        {
            return CliLogging.Create(settings.LogLevel, settings.LogFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"octue-mount: Cannot write the log file '{settings.LogFile}': {ex.Message}");
            return null;
        }
    }

    private static async Task<int> RunOnWindowsAsync(MountSettings settings, CancellationToken ct)
    {
        using var loggerFactory = CreateLogging(settings);
        if (loggerFactory is null)
            return 2;
        try
        {
            return await new MountHost(settings, loggerFactory).RunOnWindowsAsync(ct);
        }
        catch (MountFailedException ex)
        {
            Console.Error.WriteLine($"octue-mount: {ex.Message}");
            return ex.ExitCode;
        }
    }

    private static MountSettings Apply(MountSettings settings, string key, string? value) =>
        value is null ? settings : MountOptionParser.Apply(settings, $"{key}={value}");
}
