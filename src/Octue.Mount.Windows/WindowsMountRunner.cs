using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Octue.Mount.Vfs;
using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows;

/// <summary>
/// What <c>octue-mount mount SOURCE X:</c> runs on Windows: mount, report where, serve until cancelled (Ctrl+C),
/// unmount. A WinFsp mount lives as long as its process, so "unmount" is ending this process (or cancelling it).
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

        await using (host.ConfigureAwait(false))
        {
            await output.WriteLineAsync($"Mounted at {host.MountPoint}. Press Ctrl+C to unmount.").ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                log.LogInformation("Unmounting {MountPoint}", host.MountPoint);
            }
        }
        await output.WriteLineAsync($"Unmounted {host.MountPoint}.").ConfigureAwait(false);
        return 0;
    }

    /// <summary>Whether WinFsp looks installed (its registry key exists); false on other operating systems.</summary>
    public static bool IsWinFspInstalled() => OperatingSystem.IsWindows() && WinFspLibrary.InstallDirectory() is not null;
}
