using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Octue.Mount.ModelTest;

/// <summary>
/// The daemon serving the mount: <c>octue-mount mount ... --foreground</c>, a child process (this process only uses the
/// mount, it never serves it). Stopped with SIGTERM (it unmounts and exits) or killed with SIGKILL (the mount stays,
/// dead, until the next mount on the folder replaces it and recovers what was staged).
/// </summary>
public sealed partial class MountDaemon
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private MountDaemon(Process process) => _process = process;

    public static async Task<MountDaemon> StartAsync(string cli, string emulatorHost, string source, string mountPoint, string cacheDirectory, string logFile)
    {
        if (!IsMounted(mountPoint))
        {
            // A killed daemon's mount is still there (dead); the next mount replaces it.
            Directory.CreateDirectory(mountPoint);
        }

        var start = new ProcessStartInfo(cli)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var argument in new[] { "mount", source, mountPoint, "--foreground", "--cache-dir", cacheDirectory, "--log-file", logFile, "--log-level", "info" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["STORAGE_EMULATOR_HOST"] = emulatorHost;
        var daemon = new MountDaemon(Process.Start(start)!);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        daemon._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (daemon._output)
            {
                daemon._output.AppendLine(e.Data);
            }

            if (e.Data.StartsWith("Mounted ", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        daemon._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (daemon._output)
                {
                    daemon._output.AppendLine(e.Data);
                }
            }
        };
        daemon._process.BeginOutputReadLine();
        daemon._process.BeginErrorReadLine();
        var finished = await Task.WhenAny(ready.Task, daemon._process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(120))).ConfigureAwait(false);
        if (finished != ready.Task)
        {
            daemon.Kill();
            throw new InvalidOperationException($"The mount at {mountPoint} did not become ready: {daemon.Output}");
        }

        return daemon;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>SIGTERM: the daemon unmounts (uploads are done: every descriptor was closed) and exits.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        SendSignal(_process.Id, 15);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new InvalidOperationException($"The daemon did not stop within 120 s of SIGTERM: {Output}");
        }

        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException($"The daemon exited with {_process.ExitCode} after SIGTERM: {Output}");
        }
    }

    /// <summary>SIGKILL, as kill -9: nothing is uploaded or cleaned up.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>Lazily unmounts whatever is mounted at <paramref name="mountPoint"/> (a dead mount after a kill).</summary>
    public static void Unmount(string mountPoint)
    {
        if (!IsMounted(mountPoint))
        {
            return;
        }

        using var umount = Process.Start(new ProcessStartInfo("umount", ["-l", mountPoint]) { UseShellExecute = false, RedirectStandardError = true })!;
        umount.WaitForExit();
    }

    private static bool IsMounted(string mountPoint) =>
        File.ReadAllText("/proc/self/mountinfo").Split('\n').Any(line => line.Split(' ').ElementAtOrDefault(4) == mountPoint);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
