using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Linux;
using Octue.Mount.Linux.Mounting;
using Octue.Mount.Storage;
using Octue.Mount.Vfs;
using Octue.Mount.Windows;

namespace Octue.Mount.Cli.Mounting;

/// <summary>
/// Runs one mount in this process until it is unmounted or the process is told to stop (SIGTERM, SIGINT, SIGHUP):
/// checks the mount point, opens the store, builds the file system, mounts it, reports readiness, then on the way
/// out unmounts lazily, lets in-flight uploads finish and disposes the file system.
/// </summary>
internal sealed class MountHost
{
    private readonly MountSettings _settings;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;

    public MountHost(MountSettings settings, ILoggerFactory loggerFactory)
    {
        _settings = settings;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("octue-mount");
    }

    public FuseMountOptions FuseOptions(MountSource source) => new()
    {
        Source = DescribeSource(source),
        AllowOther = _settings.AllowOther,
        ReadOnly = _settings.ReadOnly,
        AllowNonEmpty = _settings.NonEmpty,
        ForceFusermount = _settings.ViaFusermount,
        NoSymFollow = _settings.NoSymFollow,
        AllowSetuid = _settings.AllowSetuid,
        Passthrough = _settings.Passthrough,
    };

    public static string DescribeSource(MountSource source) => source.Kind switch
    {
        MountSourceKind.Project => "gcs-project:" + source.Project,
        MountSourceKind.Manifest => $"gs://{source.Bucket}/{source.ObjectName}",
        _ => $"gs://{source.Bucket}/{source.Prefix}".TrimEnd('/'),
    };

    /// <summary>
    /// Mounts and serves until told to stop. <paramref name="onReady"/> runs once the mount answers, and
    /// <paramref name="onStopping"/> when it starts to go away (asked to stop, or unmounted from outside); failures
    /// before ready throw <see cref="MountFailedException"/> with a message for the user.
    /// </summary>
    public async Task<int> RunAsync(Action<string> onReady, CancellationToken ct, Action<string>? onStopping = null)
    {
        MountSource source;
        try
        {
            source = MountSource.Parse(_settings.Source, _settings.Project);
        }
        catch (FormatException ex)
        {
            throw new MountFailedException(ex.Message, 2);
        }
        var fuseOptions = FuseOptions(source);

        // Told to stop before the mount is ready (Ctrl-C, SIGTERM from a background launcher that was interrupted),
        // the setup is abandoned and what it made is removed; once ready, a signal unmounts.
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var setup = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var ready = false;
        // The first signal decides the exit status of an interrupted setup (128 + its number, as a shell reports it).
        var signalNumber = 0;
        void Stop(PosixSignalContext? context)
        {
            if (context is not null)
            {
                context.Cancel = true;
                Interlocked.CompareExchange(ref signalNumber, SignalNumber(context.Signal), 0);
            }
            stop.TrySetResult();
            if (!Volatile.Read(ref ready))
                setup.Cancel();
        }
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop);
        // The command line also turns SIGTERM/SIGINT into this token, and may be the one that sees the signal.
        using var cancelled = ct.Register(() => Stop(null));

        try
        {
            await FuseMount.CheckMountPointAsync(_settings.MountPoint, fuseOptions, _loggerFactory, setup.Token).ConfigureAwait(false);
        }
        catch (FuseMountException ex)
        {
            throw new MountFailedException(ex.Message, 1);
        }
        catch (OperationCanceledException) when (stop.Task.IsCompleted)
        {
            throw Interrupted(Volatile.Read(ref signalNumber));
        }

        // Before anything is mounted, so a metrics port that is taken fails the mount with its message.
        using var metrics = MetricsExport.Start(_settings.PrometheusEndpoint, _logger);
        var options = FileSystemOptionsFor(source);
        WarnOfLegacyCacheFolder(options.CacheDirectory);
        var madeFolders = CreatedFolders.Before(options.CacheDirectory);
        var store = OpenStore();
        try
        {
            var fileSystem = await CreateFileSystemAsync(options, store, setup.Token).ConfigureAwait(false);
            await using (fileSystem.ConfigureAwait(false))
            {
                FuseMount mount;
                try
                {
                    mount = await FuseMount.MountAsync(fileSystem, _settings.MountPoint, fuseOptions, _loggerFactory, setup.Token).ConfigureAwait(false);
                }
                catch (FuseMountException ex)
                {
                    throw new MountFailedException(ex.Message, 1);
                }
                await using (mount.ConfigureAwait(false))
                {
                    Volatile.Write(ref ready, true);
                    // A signal that came while the mount was being made: unmount at once, without reporting readiness.
                    if (stop.Task.IsCompleted)
                        throw Interrupted(Volatile.Read(ref signalNumber));
                    onReady($"Mounted {fuseOptions.Source} at {mount.MountPoint}");
                    // Once the mount answers, its first requests' code is compiled in the background (docs/architecture.md,
                    // "Start-up"), so the first lookup, read and listing do not wait for the JIT.
                    using var warmUpStop = new CancellationTokenSource();
                    var warmUp = Task.Run(() => WarmUpAsync(options, () => mount.RequestsReceived, warmUpStop.Token), CancellationToken.None);
                    await Task.WhenAny(stop.Task, mount.Completion).ConfigureAwait(false);
                    await warmUpStop.CancelAsync().ConfigureAwait(false);
                    await warmUp.ConfigureAwait(false);
                    _logger.LogInformation(stop.Task.IsCompleted ? "Stopping: unmounting {MountPoint}" : "{MountPoint} was unmounted", mount.MountPoint);
                    onStopping?.Invoke($"Unmounting {fuseOptions.Source} from {mount.MountPoint}");
                }
            }
        }
        catch (OperationCanceledException) when (stop.Task.IsCompleted && !Volatile.Read(ref ready))
        {
            madeFolders.Remove();
            throw Interrupted(Volatile.Read(ref signalNumber));
        }
        catch (MountFailedException)
        {
            // Nothing of a mount that never served is worth keeping: the cache folder it made goes with it.
            madeFolders.Remove();
            throw;
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
        return 0;
    }

    /// <summary>The start-up warm-up (<see cref="FirstUseWarmUp"/>); the mount works without it, so a failure is only logged.</summary>
    private async Task WarmUpAsync(FileSystemOptions options, Func<long> mountActivity, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await FirstUseWarmUp.RunAsync(options, mountActivity, ct).ConfigureAwait(false);
            // What the warm-up allocated is garbage now; collect it and give the memory back rather than let the
            // heap keep the size it grew to.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            _logger.LogDebug("Start-up warm-up done in {Elapsed} ms", System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "Start-up warm-up failed; the first requests compile their own code");
        }
    }

    /// <summary>
    /// Earlier versions named default cache folders by the source alone; such a folder may still hold changes staged
    /// before a crash. They are not uploaded from there (another source may have shared the folder): say where they are.
    /// </summary>
    private void WarnOfLegacyCacheFolder(string cacheDirectory)
    {
        if (_settings.LegacyCacheDirectory() is not { } legacy || legacy == cacheDirectory)
            return;
        var staging = Path.Combine(legacy, "staging");
        if (Directory.Exists(staging) && Directory.EnumerateFileSystemEntries(staging).Any())
            _logger.LogWarning("{Legacy} holds changes staged by an earlier version of octue-mount, which named cache folders by source alone; they are not uploaded from there. To recover them, mount that source with --cache-dir {Legacy}", legacy, legacy);
    }

    /// <summary>
    /// A setup stopped by a signal: exit status 128 + the signal's number (143 for SIGTERM, what systemd and a shell
    /// expect of a process that ends on it), 130 when the command line's own token stopped it.
    /// </summary>
    private MountFailedException Interrupted(int signal) =>
        new($"Interrupted before {_settings.MountPoint} was mounted: nothing is mounted.", 128 + (signal == 0 ? 2 : signal));

    private static int SignalNumber(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGHUP => 1,
        PosixSignal.SIGTERM => 15,
        _ => 2,
    };

    /// <summary>
    /// The Windows form of a mount: the same store and file system, served through WinFsp at a drive letter or
    /// folder until Ctrl+C. WinFsp mounts live as long as their process, so there is no background mode here.
    /// </summary>
    public async Task<int> RunOnWindowsAsync(CancellationToken ct)
    {
        MountSource source;
        try
        {
            source = MountSource.Parse(_settings.Source, _settings.Project);
        }
        catch (FormatException ex)
        {
            throw new MountFailedException(ex.Message, 2);
        }
        using var metrics = MetricsExport.Start(_settings.PrometheusEndpoint, _logger);
        var store = OpenStore();
        try
        {
            var fileSystem = await CreateFileSystemAsync(FileSystemOptionsFor(source), store, ct).ConfigureAwait(false);
            await using (fileSystem.ConfigureAwait(false))
            {
                var options = WinFspMountOptions.For(FileSystemOptionsFor(source), _loggerFactory);
                return await WindowsMountRunner.RunAsync(fileSystem, _settings.MountPoint, options, Console.Out, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }

    private IObjectStore OpenStore()
    {
        try
        {
            return GcsObjectStore.Create(new ObjectStoreOptions
            {
                CredentialsFile = _settings.CredentialsFile,
                LoggerFactory = _loggerFactory,
            });
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The store's own message already says how to sign in when credentials are missing; add it otherwise.
            var advice = ex.Message.Contains("gcloud auth", StringComparison.Ordinal) ? "" :
                " Sign in with 'gcloud auth application-default login', set GOOGLE_APPLICATION_CREDENTIALS, pass --credentials FILE, " +
                "or point STORAGE_EMULATOR_HOST at an emulator.";
            // The advice is a sentence of its own, whether or not the store's message ended one.
            var message = ex.Message.TrimEnd();
            if (advice.Length > 0 && !message.EndsWith('.'))
                message += ".";
            throw new MountFailedException($"Cannot reach Google Cloud Storage: {message}{advice}", 1);
        }
    }

    private async Task<OctueFileSystem> CreateFileSystemAsync(FileSystemOptions options, IObjectStore store, CancellationToken ct)
    {
        var source = options.Source;
        try
        {
            return await OctueFileSystem.CreateAsync(options, store, _loggerFactory, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && ct.IsCancellationRequested)
        {
            // A request abandoned because the mount was interrupted, whatever the client library made of it.
            throw new OperationCanceledException("The mount was interrupted.", ex, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new MountFailedException($"Cannot mount {DescribeSource(source)}: {ex.Message}", 1);
        }
    }

    internal FileSystemOptions FileSystemOptionsFor(MountSource source) => new()
    {
        Source = source,
        CacheDirectory = _settings.ResolveCacheDirectory(source),
        MetadataTtl = _settings.MetadataTtl,
        Read = new ReadOptions
        {
            ChunkSize = _settings.ReadChunkSize,
            Parallelism = _settings.ReadParallelism,
            MemoryBudget = _settings.ReadMemoryLimit,
            CacheSizeBytes = _settings.CacheSizeBytes,
            WholeObjectFiles = _settings.Passthrough,
        },
        WriteChunkSize = _settings.WriteChunkSize,
        ReadOnly = _settings.ReadOnly,
        // Windows has no POSIX ids; stored ones are still kept, new objects get 0.
        Uid = _settings.Uid ?? (OperatingSystem.IsWindows() ? 0 : UnixProcess.EffectiveUid),
        Gid = _settings.Gid ?? (OperatingSystem.IsWindows() ? 0 : UnixProcess.EffectiveGid),
        FileMode = _settings.FileMode,
        DirectoryMode = _settings.DirectoryMode,
        AllowSetuid = _settings.AllowSetuid,
    };
}

/// <summary>A mount that failed before it was ready; <see cref="Exception.Message"/> is for the user.</summary>
internal sealed class MountFailedException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
