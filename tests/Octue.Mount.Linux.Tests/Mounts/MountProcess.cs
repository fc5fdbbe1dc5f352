using System.Diagnostics;
using System.Text;
using Octue.Mount.Linux.Mounting;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>
/// A mount served by a child process (the built <c>octue-mount mount ... --foreground</c>), never by the test process:
/// a process that touched its own mount could hang unkillably at exit. Disposing unmounts lazily, kills the child,
/// aborts the connection if it is still there, and removes the mount point.
/// </summary>
public sealed class MountProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private MountProcess(Process process, string mountPoint, string cacheDirectory, string logFile)
    {
        _process = process;
        MountPoint = mountPoint;
        CacheDirectory = cacheDirectory;
        LogFile = logFile;
    }

    public string MountPoint { get; }

    public string CacheDirectory { get; }

    public string LogFile { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Path(params string[] parts) => System.IO.Path.Combine([MountPoint, .. parts]);

    /// <summary>The built CLI next to the test assembly (copied there by the project reference).</summary>
    public static string CliPath => System.IO.Path.Combine(AppContext.BaseDirectory, "octue-mount");

    /// <summary>
    /// Starts <c>octue-mount mount SOURCE MOUNTPOINT --foreground</c> (no SOURCE when it is null, as with
    /// <c>--project</c>) and waits until it reports the mount ready.
    /// </summary>
    public static async Task<MountProcess> StartAsync(string emulatorHostAndPort, string? source, string mountPoint, string cacheDirectory,
        params string[] extraArguments)
    {
        if (MountTable.Find(mountPoint) is null)
            Directory.CreateDirectory(mountPoint);
        var logFile = cacheDirectory.TrimEnd('/') + ".log";
        var start = new ProcessStartInfo(CliPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = "/tmp",
        };
        string[] targets = source is null ? [mountPoint] : [source, mountPoint];
        foreach (var argument in new[] { "mount" }.Concat(targets).Concat(["--foreground", "--cache-dir", cacheDirectory,
                     "--log-level", Environment.GetEnvironmentVariable("OCTUE_MOUNT_TEST_LOG_LEVEL") ?? "debug", "--log-file", logFile]).Concat(extraArguments))
            start.ArgumentList.Add(argument);
        start.Environment["STORAGE_EMULATOR_HOST"] = emulatorHostAndPort;
        var process = Process.Start(start)!;
        var mount = new MountProcess(process, mountPoint, cacheDirectory, logFile);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (mount._output)
                mount._output.AppendLine(e.Data);
            if (e.Data.StartsWith("Mounted ", StringComparison.Ordinal))
                ready.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (mount._output)
                mount._output.AppendLine(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var finished = await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (finished != ready.Task)
        {
            var output = mount.Output;
            await mount.DisposeAsync();
            throw new Xunit.Sdk.XunitException($"The mount did not become ready: {output}\n{mount.ReadLog()}");
        }
        return mount;
    }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public string ReadLog() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    /// <summary>
    /// Stops the daemon (SIGTERM: it unmounts and exits) and returns the FUSE requests it received, by opcode
    /// (LOOKUP, READ, GETXATTR, ...), from the summary it logs when its connection closes.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, long>> StopAndCountRequestsAsync()
    {
        Assert.Equal(0, await StopAsync(TimeSpan.FromSeconds(60)));
        var log = ReadLog();
        // The log file may hold earlier daemons' lines (the same cache folder mounted again): this daemon's is the last.
        var match = System.Text.RegularExpressions.Regex.Matches(log, "FUSE requests received: ([^;\\n]*)").LastOrDefault();
        Assert.True(match is { Success: true }, $"the daemon logged no request counts:\n{log}");
        var counts = new Dictionary<string, long>();
        if (match.Groups[1].Value.Trim() != "none")
        {
            foreach (var item in match.Groups[1].Value.Trim().Split(", "))
            {
                var parts = item.Split(' ');
                counts[parts[0]] = long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return counts;
    }

    /// <summary>SIGKILL: the daemon dies without unmounting; the kernel aborts its connection when its fd closes.</summary>
    public async Task KillHardAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM: the daemon unmounts and exits by itself; returns its exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        await Tool.RunAsync("kill", "-TERM", _process.Id.ToString());
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await CleanUpAsync(MountPoint);
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        // For investigating a failure: OCTUE_MOUNT_TEST_LOGS=DIR keeps each daemon's log there.
        if (Environment.GetEnvironmentVariable("OCTUE_MOUNT_TEST_LOGS") is { Length: > 0 } keep && File.Exists(LogFile))
        {
            Directory.CreateDirectory(keep);
            File.Copy(LogFile, System.IO.Path.Combine(keep, $"{DateTime.UtcNow:HHmmss.fff}-{System.IO.Path.GetFileName(LogFile)}"), overwrite: true);
        }
        // A mount left behind (daemon killed) is detached; its connection died with the daemon.
        await CleanUpAsync(MountPoint);
    }

    /// <summary>
    /// Ends whatever is mounted at <paramref name="mountPoint"/>: its FUSE connection is aborted (so no caller stays
    /// hung on a daemon that is stuck or gone), then the mount is lazily detached. The abort comes first: while the
    /// mount exists its connection number is its own, but once it is detached the number is free, and another mount
    /// made meanwhile (a parallel test run, a benchmark) can get it and would be aborted instead.
    /// </summary>
    public static async Task CleanUpAsync(string mountPoint)
    {
        var entry = MountTable.Find(mountPoint);
        if (entry is null)
            return;
        if (entry.Major == 0)
            FuseConnectionControl.TryAbort(entry.Minor);
        await Tool.RunAsync("umount", "-l", mountPoint);
    }
}
