using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Octue.Mount.Vfs;
using Octue.Mount.Windows.Adapter;
using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows;

/// <summary>
/// A live WinFsp mount of an <see cref="IFileSystem"/> at a drive letter (<c>X:</c>) or an empty folder. Disposing it
/// stops the dispatcher, releases every file Windows left open (uploading what is staged), removes the mount point
/// and deletes the WinFsp file system. It does not dispose the <see cref="IFileSystem"/>.
/// </summary>
public sealed class WinFspHost : IAsyncDisposable
{
    private readonly WinFspAdapter _adapter;
    private readonly nint _fileSystem;
    private readonly GCHandle _adapterHandle;
    private readonly ILogger _log;
    private int _disposed;

    private WinFspHost(WinFspAdapter adapter, nint fileSystem, GCHandle adapterHandle, string mountPoint, ILogger log)
    {
        _adapter = adapter;
        _fileSystem = fileSystem;
        _adapterHandle = adapterHandle;
        MountPoint = mountPoint;
        _log = log;
    }

    /// <summary>Where the file system is mounted (the drive letter WinFsp picked when <c>*</c> was asked for).</summary>
    public string MountPoint { get; }

    /// <summary>
    /// Mounts <paramref name="fs"/> at <paramref name="mountPoint"/>: <c>X:</c> (or <c>x:</c>, <c>X:\</c>), <c>*</c>
    /// (next free drive letter from Z: down) or a folder path, relative or absolute, that does not exist yet (WinFsp
    /// creates it as a reparse point).
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">Not on Windows.</exception>
    /// <exception cref="WinFspNotInstalledException">WinFsp is not installed.</exception>
    /// <exception cref="IOException">WinFsp refused (the NTSTATUS is in the message).</exception>
    public static WinFspHost Mount(IFileSystem fs, string mountPoint, WinFspMountOptions options)
    {
        if (!OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("A WinFsp mount needs Windows; on Linux and macOS use the FUSE mount.");
        ArgumentNullException.ThrowIfNull(fs);
        ArgumentException.ThrowIfNullOrWhiteSpace(mountPoint);
        ArgumentNullException.ThrowIfNull(options);
        return MountOnWindows(fs, mountPoint, options);
    }

    [SupportedOSPlatform("windows")]
    private static unsafe WinFspHost MountOnWindows(IFileSystem fs, string mountPoint, WinFspMountOptions options)
    {
        ILogger log = (ILogger?)options.LoggerFactory?.CreateLogger<WinFspHost>() ?? NullLogger.Instance;
        WinFspApi api = WinFspApi.Instance;
        (int major, int minor) = api.Version();
        log.LogDebug("WinFsp {Major}.{Minor} loaded", major, minor);

        var adapter = new WinFspAdapter(fs, options, api);
        FspVolumeParams volumeParams = VolumeParamsBuilder.Build(options, DateTimeOffset.UtcNow);
        int status = api.Create("WinFsp.Disk", &volumeParams, FileSystemInterfaceTable.Pointer, out nint fileSystem);
        if (status != NtStatus.Success)
            throw new IOException($"WinFsp could not create the file system (FspFileSystemCreate: NTSTATUS 0x{status:X8}).");

        GCHandle adapterHandle = GCHandle.Alloc(adapter);
        *(nint*)((byte*)fileSystem + FspOffsets.FileSystemUserContext) = GCHandle.ToIntPtr(adapterHandle);
        adapter.FileSystem = fileSystem;

        string? requested = mountPoint == "*" ? null : WindowsMountPoint.ForWinFsp(mountPoint);
        status = api.SetMountPoint(fileSystem, requested);
        if (status != NtStatus.Success)
        {
            api.Delete(fileSystem);
            adapterHandle.Free();
            throw new IOException($"WinFsp could not mount at {mountPoint} (NTSTATUS 0x{status:X8}): " +
                "a drive letter must be free, a folder must not exist yet.");
        }
        status = api.StartDispatcher(fileSystem, options.DispatcherThreads);
        if (status != NtStatus.Success)
        {
            api.RemoveMountPoint(fileSystem);
            api.Delete(fileSystem);
            adapterHandle.Free();
            throw new IOException($"WinFsp could not start its dispatcher (NTSTATUS 0x{status:X8}).");
        }
        string actual = api.MountPoint(fileSystem) ?? mountPoint;
        log.LogInformation("Mounted at {MountPoint}", actual);
        return new WinFspHost(adapter, fileSystem, adapterHandle, actual, log);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || !OperatingSystem.IsWindows())
            return;
        await UnmountAsync().ConfigureAwait(false);
    }

    [SupportedOSPlatform("windows")]
    private async Task UnmountAsync()
    {
        WinFspApi api = WinFspApi.Instance;
        // No new requests once the dispatcher is stopped; then let pending responses finish and release open files.
        // Stopping joins the dispatcher threads, which may be waiting on the VFS: do it on a thread of its own so no
        // pool thread is held while they finish.
        nint fileSystem = _fileSystem;
        await Task.Factory.StartNew(() => api.StopDispatcher(fileSystem), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        List<nint> orphaned = await _adapter.ShutdownAsync().ConfigureAwait(false);
        api.RemoveMountPoint(_fileSystem);
        api.Delete(_fileSystem);
        foreach (nint handle in orphaned)
            GCHandle.FromIntPtr(handle).Free();
        _adapterHandle.Free();
        _log.LogInformation("Unmounted {MountPoint}", MountPoint);
    }
}
