using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Octue.Mount.Vfs;
using Octue.Mount.Windows.Control;
using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows;

/// <summary>
/// What <c>octue-mount mount SOURCE X:</c> runs on Windows: mount, report where, serve until Ctrl+C or until
/// <c>octue-mount unmount X:</c> asks through the mount's pipe (<see cref="UnmountPipeName"/>), unmount. A WinFsp
/// mount lives as long as its process, so unmounting ends this process.
/// </summary>
public static class WindowsMountRunner
{
    /// <summary>Exit codes: 0 after a clean unmount, 2 when WinFsp is missing, 1 when the mount failed.</summary>
    public static async Task<int> RunAsync(IFileSystem fs, string mountPoint, WinFspMountOptions options, TextWriter output, CancellationToken ct)
    {
        ILogger log = (ILogger?)options.LoggerFactory?.CreateLogger("Octue.Mount.Windows.Runner") ?? NullLogger.Instance;
        WinFspHost host;
        try
        {
            host = WinFspHost.Mount(fs, mountPoint, options);
        }
        catch (WinFspNotInstalledException e)
        {
            await output.WriteLineAsync(e.Message).ConfigureAwait(false);
            return 2;
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException or ArgumentException)
        {
            await output.WriteLineAsync($"octue-mount: cannot mount at {mountPoint}: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        string pipeName = UnmountPipeName.For(host.MountPoint, UnmountPipeName.CurrentUser());
        return await ServeUntilUnmountedAsync(host.MountPoint, host, pipeName, output, log, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Serves <paramref name="mount"/> until <paramref name="ct"/> is cancelled or an unmount request arrives on
    /// <paramref name="pipeName"/>, then disposes it (the unmount) and answers the requesters. Without a pipe (it
    /// could not be created) the mount still serves, and only Ctrl+C ends it.
    /// </summary>
    internal static async Task<int> ServeUntilUnmountedAsync(string mountPoint, IAsyncDisposable mount, string pipeName, TextWriter output,
        ILogger log, CancellationToken ct)
    {
        UnmountListener? listener = null;
        try
        {
            listener = UnmountListener.Start(pipeName, log);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            log.LogWarning(e, "Cannot listen for 'octue-mount unmount {MountPoint}'; stop this mount with Ctrl+C", mountPoint);
        }

        try
        {
            await output.WriteLineAsync(listener is null
                ? $"Mounted at {mountPoint}. Press Ctrl+C to unmount."
                : $"Mounted at {mountPoint}. Press Ctrl+C, or run 'octue-mount unmount {mountPoint}', to unmount.").ConfigureAwait(false);
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (ct.Register(() => cancelled.TrySetResult()))
                await Task.WhenAny(cancelled.Task, listener?.Requested ?? Task.Delay(Timeout.Infinite, CancellationToken.None)).ConfigureAwait(false);
            log.LogInformation("Unmounting {MountPoint} ({Reason})", mountPoint, ct.IsCancellationRequested ? "Ctrl+C" : "unmount requested");

            string? failure = null;
            try
            {
                await mount.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                log.LogError(e, "Unmounting {MountPoint} failed", mountPoint);
                failure = e.Message;
            }
            listener?.ReportUnmounted(failure);
            await output.WriteLineAsync(failure is null ? $"Unmounted {mountPoint}." : $"octue-mount: unmounting {mountPoint} failed: {failure}")
                .ConfigureAwait(false);
            return failure is null ? 0 : 1;
        }
        finally
        {
            if (listener is not null)
                await listener.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Whether WinFsp looks installed (its registry key exists); false on other operating systems.</summary>
    public static bool IsWinFspInstalled() => OperatingSystem.IsWindows() && WinFspLibrary.InstallDirectory() is not null;
}
