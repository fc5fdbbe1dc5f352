using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Octue.Mount.Emulator;
using Octue.Mount.Linux.Mounting;
using Octue.Mount.Linux.Tests.Mounts;
using Octue.Mount.Testing;

namespace Octue.Mount.Cli.Tests;

/// <summary>
/// <c>octue-mount mount --foreground</c> under systemd (<c>Type=notify</c>): a real Unix datagram socket stands in for
/// systemd's <c>NOTIFY_SOCKET</c> and must receive <c>READY=1</c> only once the mount answers and <c>STOPPING=1</c> when
/// it unmounts; under systemd the log is in the journal's format.
/// </summary>
[Collection(CliMountCollection.Name)]
public sealed class SystemdServiceTests
{
    private readonly GcsEmulator _emulator;

    public SystemdServiceTests(EmulatorFixture fixture) => _emulator = CliEmulator.Fresh(fixture);

    /// <summary>A foreground mount started as systemd would start it, with <paramref name="environment"/> added.</summary>
    private static Process StartForegroundMount(string source, string mountPoint, string cacheDirectory, IDictionary<string, string> environment,
        StringBuilder stderr)
    {
        var start = new ProcessStartInfo(MountProcess.CliPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = "/tmp",
        };
        foreach (var argument in new[] { "mount", source, mountPoint, "--foreground", "--cache-dir", cacheDirectory })
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (stderr)
                stderr.AppendLine(e.Data);
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    private static async Task<string> ReceiveAsync(Socket socket, Process process, string expecting)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var receive = socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).AsTask();
        var exited = process.WaitForExitAsync(timeout.Token);
        if (await Task.WhenAny(receive, exited) != receive)
            throw new Xunit.Sdk.XunitException($"octue-mount ended (or 60 s passed) before sending {expecting}");
        return Encoding.UTF8.GetString(buffer, 0, await receive);
    }

    private static async Task StopAsync(Process process, string mountPoint)
    {
        try
        {
            await MountProcess.CleanUpAsync(mountPoint);
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        finally
        {
            process.Dispose();
        }
    }

    [Fact]
    public async Task Ready_is_sent_once_the_mount_answers_and_stopping_on_unmount_to_an_abstract_socket()
    {
        using var temp = new TempDirectory();
        _emulator.Store.CreateBucket("notified");
        _emulator.Store.PutObject("notified", "hello.txt", "ready\n"u8.ToArray());
        var mountPoint = temp.CreateDirectory("mnt");
        // An abstract socket name, as systemd gives (NOTIFY_SOCKET=@...): no file, the name starts with a NUL byte.
        var name = "octue-mount-test-" + Guid.NewGuid().ToString("N");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
        var stderr = new StringBuilder();
        var process = StartForegroundMount("gs://notified", mountPoint, temp.Combine("cache"), new Dictionary<string, string>
        {
            ["STORAGE_EMULATOR_HOST"] = _emulator.HostAndPort,
            ["NOTIFY_SOCKET"] = "@" + name,
        }, stderr);
        try
        {
            var ready = await ReceiveAsync(socket, process, "READY=1");
            // At the moment READY=1 arrives the mount is in the mount table and answers with the bucket's content.
            Assert.NotNull(MountTable.Find(mountPoint));
            Assert.Equal("ready\n", (await Tool.RunAsync("cat", Path.Combine(mountPoint, "hello.txt"))).EnsureSuccess("cat").Stdout);
            Assert.Equal(["READY=1", $"STATUS=Mounted gs://notified at {mountPoint}"], ready.Split('\n'));

            (await Tool.RunAsync(MountProcess.CliPath, "unmount", mountPoint)).EnsureSuccess("octue-mount unmount");
            var stopping = await ReceiveAsync(socket, process, "STOPPING=1");
            Assert.Equal(["STOPPING=1", $"STATUS=Unmounting gs://notified from {mountPoint}"], stopping.Split('\n'));
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(exit.Token);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            await StopAsync(process, mountPoint);
        }
    }

    [Fact]
    public async Task Under_systemd_the_log_has_journal_priorities_and_sigterm_sends_stopping_to_a_socket_file()
    {
        using var temp = new TempDirectory();
        _emulator.Store.CreateBucket("journal");
        var mountPoint = temp.CreateDirectory("mnt");
        var socketPath = temp.Combine("notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        var stderr = new StringBuilder();
        var process = StartForegroundMount("gs://journal", mountPoint, temp.Combine("cache"), new Dictionary<string, string>
        {
            ["STORAGE_EMULATOR_HOST"] = _emulator.HostAndPort,
            ["NOTIFY_SOCKET"] = socketPath,
            // What systemd sets for a service whose output goes to the journal.
            ["JOURNAL_STREAM"] = "8:12345",
            ["INVOCATION_ID"] = Guid.NewGuid().ToString("N"),
        }, stderr);
        try
        {
            Assert.StartsWith("READY=1\n", await ReceiveAsync(socket, process, "READY=1"));
            await Tool.RunAsync("kill", "-TERM", process.Id.ToString());
            Assert.StartsWith("STOPPING=1\n", await ReceiveAsync(socket, process, "STOPPING=1"));
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(exit.Token);
            Assert.Equal(0, process.ExitCode);
            Assert.Null(MountTable.Find(mountPoint));

            string log;
            lock (stderr)
                log = stderr.ToString();
            var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.NotEmpty(lines);
            // Every line starts with a syslog priority (<6> is info) and carries no timestamp: the journal adds its own.
            Assert.All(lines, line => Assert.Matches(@"^<[0-7]>", line));
            Assert.Contains(lines, line => line.StartsWith("<6>", StringComparison.Ordinal) && line.Contains("Stopping: unmounting " + mountPoint, StringComparison.Ordinal));
            Assert.DoesNotContain(lines, line => line.Contains('\u001b'));
        }
        finally
        {
            await StopAsync(process, mountPoint);
        }
    }

    [Fact]
    public async Task Under_systemd_a_nul_or_line_break_from_the_bucket_cannot_forge_a_journal_entry()
    {
        using var temp = new TempDirectory();
        _emulator.Store.CreateBucket("forging");
        _emulator.Store.PutObject("forging", "ok/a.txt", "a"u8.ToArray());
        // A manifest key the mount cannot show (a NUL, over 255 bytes) is logged by name when the mount starts.
        // journald ends an entry at a NUL as at a line break, so either would start an entry of the manifest
        // writer's choosing (<0>: emergency).
        _emulator.Store.PutObject("forging", "manifest.json", Encoding.UTF8.GetBytes($$"""
            {"datasets": {"ok": "gs://forging/ok", "x\u0000<0>forged by NUL": "gs://forging/ok", "y\n<0>forged by LF {{new string('z', 255)}}": "gs://forging/ok"},
             "id": "dab88335-d739-4899-8eec-13ffdb5921fd", "name": null}
            """));
        var mountPoint = temp.CreateDirectory("mnt");
        var socketPath = temp.Combine("notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        var stderr = new StringBuilder();
        var process = StartForegroundMount("gs://forging/manifest.json", mountPoint, temp.Combine("cache"), new Dictionary<string, string>
        {
            ["STORAGE_EMULATOR_HOST"] = _emulator.HostAndPort,
            ["NOTIFY_SOCKET"] = socketPath,
            ["JOURNAL_STREAM"] = "8:12345",
        }, stderr);
        try
        {
            Assert.StartsWith("READY=1\n", await ReceiveAsync(socket, process, "READY=1"));
            (await Tool.RunAsync(MountProcess.CliPath, "unmount", mountPoint)).EnsureSuccess("octue-mount unmount");
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(exit.Token);

            string log;
            lock (stderr)
                log = stderr.ToString();
            Assert.DoesNotContain('\0', log);
            var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.All(lines, line => Assert.Matches(@"^<[0-7]>", line));
            Assert.DoesNotContain(lines, line => line.StartsWith("<0>", StringComparison.Ordinal));
            Assert.Contains(lines, line => line.Contains(@"x\u0000<0>forged by NUL", StringComparison.Ordinal));
            Assert.Contains(lines, line => line.Contains(@"y\u000A<0>forged by LF", StringComparison.Ordinal));
        }
        finally
        {
            await StopAsync(process, mountPoint);
        }
    }

    [Fact]
    public async Task A_notify_socket_that_is_gone_is_logged_and_the_mount_still_serves()
    {
        using var temp = new TempDirectory();
        _emulator.Store.CreateBucket("stale-socket");
        _emulator.Store.PutObject("stale-socket", "f.txt", "still here\n"u8.ToArray());
        var mountPoint = temp.CreateDirectory("mnt");
        var log = temp.Combine("mount.log");
        try
        {
            var mount = await Tool.RunAsync(MountProcess.CliPath, ["mount", "gs://stale-socket", mountPoint, "--cache-dir", temp.Combine("cache"), "--log-file", log],
                TimeSpan.FromSeconds(90), new Dictionary<string, string>
                {
                    ["STORAGE_EMULATOR_HOST"] = _emulator.HostAndPort,
                    ["NOTIFY_SOCKET"] = temp.Combine("nobody-listens.sock"),
                });
            mount.EnsureSuccess("octue-mount mount");
            Assert.Equal("still here\n", (await Tool.RunAsync("cat", Path.Combine(mountPoint, "f.txt"))).EnsureSuccess("cat").Stdout);
            Assert.Contains("Cannot notify systemd of READY=1", File.ReadAllText(log));
            (await Tool.RunAsync(MountProcess.CliPath, "unmount", mountPoint)).EnsureSuccess("octue-mount unmount");
        }
        finally
        {
            await MountProcess.CleanUpAsync(mountPoint);
        }
    }

    [Theory]
    [InlineData(null, null, false)]
    [InlineData("8:12345", null, true)]
    [InlineData(null, "0123456789abcdef", true)]
    [InlineData("", "", false)]
    public void Systemd_is_recognised_by_journal_stream_or_invocation_id(string? journalStream, string? invocationId, bool expected)
    {
        var environment = new Dictionary<string, string?> { ["JOURNAL_STREAM"] = journalStream, ["INVOCATION_ID"] = invocationId };
        Assert.Equal(expected, Logging.CliLogging.UnderSystemd(name => environment.GetValueOrDefault(name)));
    }
}
