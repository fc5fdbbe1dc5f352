using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Octue.Mount.Linux.Session;
using Octue.Mount.Vfs;

namespace Octue.Mount.Linux;

/// <summary>
/// A live FUSE mount of an <see cref="IFileSystem"/>. <see cref="MountAsync"/> returns once the kernel's INIT was
/// answered, so the mount serves requests from then on; disposing unmounts it (lazily) and stops the session.
/// This process never touches the mount itself: everything it needs to know comes from /proc/self/mountinfo.
/// </summary>
public sealed class FuseMount : IAsyncDisposable
{
    private readonly FuseDevice _device;
    private readonly FuseSession _session;
    private readonly Mounting.FuseMountOptions _options;
    private readonly bool _viaFusermount;
    private readonly ILogger _logger;
    private int _disposed;

    private FuseMount(string mountPoint, int connectionId, FuseDevice device, FuseSession session,
        Mounting.FuseMountOptions options, bool viaFusermount, ILogger logger)
    {
        MountPoint = mountPoint;
        ConnectionId = connectionId;
        _device = device;
        _session = session;
        _options = options;
        _viaFusermount = viaFusermount;
        _logger = logger;
    }

    /// <summary>The canonical path of the mount point.</summary>
    public string MountPoint { get; }

    /// <summary>The connection number under /sys/fs/fuse/connections (the minor of the mount's device), or -1.</summary>
    public int ConnectionId { get; }

    /// <summary>Completes when the mount is gone: unmounted (by anyone) or aborted.</summary>
    public Task Completion => _session.Completion;

    /// <summary>Requests the kernel has sent this mount so far, of every kind: whether it is being used right now.</summary>
    public long RequestsReceived => _session.RequestCounts.Total;

    public static async Task<FuseMount> MountAsync(IFileSystem fs, string mountPoint, Mounting.FuseMountOptions options,
        ILoggerFactory? loggerFactory = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(fs);
        ArgumentNullException.ThrowIfNull(options);
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<FuseMount>();
        var target = await Mounting.MountPointCheck.PrepareAsync(mountPoint, options, logger, ct).ConfigureAwait(false);

        var sessionOptions = new FuseSessionOptions
        {
            ReaderThreads = Math.Max(1, options.ReaderThreads),
            Passthrough = options.Passthrough,
            // Without --suid no file shows a setuid or setgid bit, and no file has a capability (security.* is refused).
            NothingToKillOnWrite = !options.AllowSetuid,
        };
        var viaFusermount = options.ForceFusermount || !Mounting.KernelMounter.IsRoot;
        var fd = viaFusermount
            ? await Mounting.KernelMounter.MountWithFusermountAsync(target, options, ct).ConfigureAwait(false)
            : Mounting.KernelMounter.MountDirect(target, sessionOptions.MaxWrite, options);
        var device = new FuseDevice(fd);
        var session = new FuseSession(device, fs, sessionOptions, logger);
        session.Start();

        var entry = Mounting.MountTable.Find(target);
        var connectionId = entry?.Major == 0 ? entry.Minor : -1;
        var mount = new FuseMount(target, connectionId, device, session, options, viaFusermount, logger);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.InitTimeout);
            await session.Initialized.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await mount.DisposeAsync().ConfigureAwait(false);
            if (ex is OperationCanceledException && !ct.IsCancellationRequested)
                throw new Mounting.FuseMountException($"The kernel did not initialise the mount at {target} within {options.InitTimeout.TotalSeconds:0} s.");
            throw;
        }

        // Writing the bdi's read_ahead_kb needs root: without it sequential reads arrive as 128 KiB READs, not 1 MiB.
        if (connectionId >= 0 && options.ReadAheadKb > 0 && !Mounting.FuseConnectionControl.TrySetReadAhead(connectionId, options.ReadAheadKb))
            logger.LogInformation("Could not raise the readahead of {MountPoint} to {Kilobytes} KiB ({Path} is writable by root only); sequential reads use the kernel's default",
                target, options.ReadAheadKb, Mounting.FuseConnectionControl.ReadAheadPath(connectionId));
        logger.LogInformation("Mounted {Source} at {MountPoint} (connection {Connection}, {Mounter})", options.Source, target, connectionId,
            viaFusermount ? "through fusermount3" : "with mount(2)");
        return mount;
    }

    /// <summary>Asks the kernel to unmount; the session then ends when the last user lets go (lazy) or at once.</summary>
    public async Task UnmountAsync(bool lazy = true, CancellationToken ct = default)
    {
        if (_session.Completion.IsCompleted)
            return;
        var error = await Mounting.KernelMounter.UnmountAsync(MountPoint, lazy, _viaFusermount, ct).ConfigureAwait(false);
        if (error is not null && !_session.Completion.IsCompleted)
            throw new Mounting.FuseMountException(error);
    }

    /// <summary>
    /// Unmounts whatever FUSE mount sits at <paramref name="mountPoint"/> (used by <c>octue-mount unmount</c>): umount2 as
    /// root, else fusermount3 -u. A busy mount fails unless <paramref name="lazy"/>, which detaches it at once and lets
    /// open files finish.
    /// </summary>
    public static async Task UnmountAsync(string mountPoint, bool lazy, CancellationToken ct = default)
    {
        var full = Path.GetFullPath(mountPoint).TrimEnd('/');
        if (full.Length == 0)
            full = "/";
        var entry = Mounting.MountTable.Find(full);
        if (entry is null)
            throw new Mounting.FuseMountException($"{full} is not a mount point.", Protocol.Errno.EINVAL);
        if (!entry.FileSystemType.StartsWith("fuse", StringComparison.Ordinal))
            throw new Mounting.FuseMountException($"{full} is a {entry.FileSystemType} mount, not an Octue Mount.", Protocol.Errno.EINVAL);
        var error = await Mounting.KernelMounter.UnmountAsync(full, lazy, viaFusermount: !Mounting.KernelMounter.IsRoot, ct).ConfigureAwait(false);
        if (error is not null)
            throw new Mounting.FuseMountException(error + (lazy ? "" : " (files may be open in it: use --lazy to detach it anyway)"), Protocol.Errno.EBUSY);
    }

    /// <summary>Checks a mount point before any work is done for it (missing, busy, not empty, no /dev/fuse); returns its canonical path.</summary>
    public static Task<string> CheckMountPointAsync(string mountPoint, Mounting.FuseMountOptions options, ILoggerFactory? loggerFactory = null, CancellationToken ct = default)
        => Mounting.MountPointCheck.PrepareAsync(mountPoint, options, (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<FuseMount>(), ct);

    /// <summary>
    /// Unmounts lazily, then waits for the kernel to close the connection. If files are still open in the mount the
    /// connection stays alive; after a grace period it is aborted so no caller is left waiting on a daemon that is
    /// about to exit. Then in-flight handlers (uploads on close) finish and /dev/fuse is closed.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        if (!_session.Completion.IsCompleted)
        {
            try
            {
                await UnmountAsync(lazy: true).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogWarning("Unmounting {MountPoint} failed: {Message}", MountPoint, ex.Message);
            }
            var closed = await Task.WhenAny(_session.Completion, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false) == _session.Completion;
            if (!closed && ConnectionId >= 0)
            {
                _logger.LogWarning("{MountPoint} is still in use; aborting its FUSE connection", MountPoint);
                Mounting.FuseConnectionControl.TryAbort(ConnectionId);
                await Task.WhenAny(_session.Completion, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
            }
        }
        if (!await _session.DrainAsync(_options.DrainTimeout).ConfigureAwait(false))
            _logger.LogWarning("{Count} requests were still being handled when {MountPoint} closed", _session.ActiveHandlers, MountPoint);
        if (_session.Completion.IsCompleted)
            _device.Dispose();
        else
            _logger.LogError("The FUSE connection of {MountPoint} did not close; leaving its descriptor open", MountPoint);
    }
}
