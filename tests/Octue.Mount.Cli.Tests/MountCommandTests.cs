using System.Diagnostics;
using System.Text;
using Octue.Mount.Emulator;
using Octue.Mount.Linux.Mounting;
using Octue.Mount.Linux.Tests.Mounts;
using Octue.Mount.Testing;

namespace Octue.Mount.Cli.Tests;

/// <summary>The mount and unmount verbs as a user runs them: background mode, errors, and an /etc/fstab-style line through mount(8).</summary>
[Collection(CliMountCollection.Name)]
public sealed class MountCommandTests
{
    private readonly GcsEmulator _emulator;

    public MountCommandTests(EmulatorFixture fixture) => _emulator = CliEmulator.Fresh(fixture);

    private Dictionary<string, string> Environment => new() { ["STORAGE_EMULATOR_HOST"] = _emulator.HostAndPort };

    private Task<ToolResult> Cli(params string[] arguments) =>
        Tool.RunAsync(MountProcess.CliPath, arguments, TimeSpan.FromSeconds(90), Environment);

    [Fact]
    public async Task Background_mount_returns_once_ready_and_unmount_stops_the_daemon()
    {
        using var temp = new TempDirectory();
        _emulator.Store.CreateBucket("background");
        _emulator.Store.PutObject("background", "hello.txt", "hi\n"u8.ToArray());
        var mountPoint = temp.CreateDirectory("mnt");
        try
        {
            var mount = await Cli("mount", "gs://background", mountPoint, "--cache-dir", temp.Combine("cache"));
            mount.EnsureSuccess("octue-mount mount");
            Assert.Contains("Mounted gs://background", mount.Stdout);
            // Returned only when ready: the file is there right away.
            Assert.Equal("hi\n", (await Tool.RunAsync("cat", Path.Combine(mountPoint, "hello.txt"))).EnsureSuccess("cat").Stdout);
            var daemon = (await Tool.RunAsync("pgrep", "-f", "--", $"--cache-dir {temp.Combine("cache")}")).Stdout.Trim();
            Assert.NotEmpty(daemon);

            (await Cli("unmount", mountPoint)).EnsureSuccess("octue-mount unmount");
            Assert.Null(MountTable.Find(mountPoint));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while ((await Tool.RunAsync("kill", "-0", daemon.Split('\n')[0])).ExitCode == 0 && DateTime.UtcNow < deadline)
                await Task.Delay(100);
            Assert.NotEqual(0, (await Tool.RunAsync("kill", "-0", daemon.Split('\n')[0])).ExitCode);

            var again = await Cli("unmount", mountPoint);
            Assert.Equal(1, again.ExitCode);
            Assert.Contains("not a mount point", again.Stderr);
        }
        finally
        {
            await MountProcess.CleanUpAsync(mountPoint);
        }
    }

    /// <summary>
    /// Ctrl-C (or SIGTERM) of `mount` while it waits for readiness stops the background process it started: nothing
    /// is mounted then or later, no daemon is left, and the cache folder it made is removed. The emulator holds its
    /// answer to the bucket check back, so the signal comes before the mount could be ready.
    /// </summary>
    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public async Task Interrupting_a_mount_before_it_is_ready_stops_it_and_leaves_nothing(string signal, int expectedExit)
    {
        using var temp = new TempDirectory();
        _emulator.Store.CreateBucket("slow");
        var mountPoint = temp.CreateDirectory("mnt");
        var cache = temp.Combine("cache", "slow");
        try
        {
            using var command = await StartMountHeldAtTheBucketCheckAsync("the background mount", MountProcess.CliPath, "mount", "gs://slow", mountPoint, "--cache-dir", cache);
            var stdout = command.StandardOutput.ReadToEndAsync();
            var stderr = command.StandardError.ReadToEndAsync();
            var processes = (await Tool.RunAsync("pgrep", "-f", "--", $"--cache-dir {cache}")).Stdout.Trim().Split('\n');
            Assert.Contains(processes, p => p != command.Id.ToString());
            Assert.True(Directory.Exists(cache));

            (await Tool.RunAsync("kill", $"-{signal}", command.Id.ToString())).EnsureSuccess("kill");
            using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
                await command.WaitForExitAsync(wait.Token);
            Assert.Equal(expectedExit, command.ExitCode);
            Assert.Contains("nothing is mounted", await stderr);
            Assert.DoesNotContain("Mounted", await stdout);

            // No process is left that could mount later, nothing is mounted, and the folders it made are gone.
            Assert.Equal("", (await Tool.RunAsync("pgrep", "-f", "--", $"--cache-dir {cache}")).Stdout.Trim());
            Assert.Null(MountTable.Find(mountPoint));
            Assert.False(Directory.Exists(temp.Combine("cache")));
        }
        finally
        {
            _emulator.Faults.Clear();
            await MountProcess.CleanUpAsync(mountPoint);
        }
    }

    /// <summary>
    /// A `--foreground` mount (systemd's way) stopped by a signal before it is ready exits with 128 + that signal's
    /// number, as a shell and systemd read it, leaving nothing mounted and no cache folder it made.
    /// </summary>
    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    [InlineData("HUP", 129)]
    public async Task A_foreground_mount_stopped_before_it_is_ready_exits_with_the_signal_status(string signal, int expectedExit)
    {
        using var temp = new TempDirectory();
        _emulator.Store.CreateBucket("slow-foreground");
        var mountPoint = temp.CreateDirectory("mnt");
        var cache = temp.Combine("cache", "slow");
        try
        {
            // Started through `env --default-signal=HUP`: a test runner started under nohup (or by anything that ignores
            // SIGHUP) passes the ignored SIGHUP on to its children, and a mount started that way rightly keeps ignoring it,
            // as nohup asks. env execs the command, so the process id is the mount's own.
            using var command = await StartMountHeldAtTheBucketCheckAsync("the mount", "env", "--default-signal=HUP",
                MountProcess.CliPath, "mount", "gs://slow-foreground", mountPoint, "--cache-dir", cache, "--foreground");
            var stderr = command.StandardError.ReadToEndAsync();

            (await Tool.RunAsync("kill", $"-{signal}", command.Id.ToString())).EnsureSuccess("kill");
            using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
                await command.WaitForExitAsync(wait.Token);
            Assert.Equal(expectedExit, command.ExitCode);
            Assert.Contains("nothing is mounted", await stderr);
            Assert.Null(MountTable.Find(mountPoint));
            Assert.False(Directory.Exists(temp.Combine("cache")));
        }
        finally
        {
            _emulator.Faults.Clear();
            await MountProcess.CleanUpAsync(mountPoint);
        }
    }

    /// <summary>
    /// Starts <paramref name="program"/> with <paramref name="arguments"/> (a mount) with the emulator holding its
    /// answer to the bucket check back (60 s), and returns once the mount has asked: it is then still waiting for
    /// readiness. The caller clears the emulator's faults.
    /// </summary>
    private async Task<Process> StartMountHeldAtTheBucketCheckAsync(string described, string program, params string[] arguments)
    {
        _emulator.Faults.Add(new FaultRule { Kind = FaultKind.Delay, Delay = TimeSpan.FromSeconds(60), RequestKind = RequestKind.ListObjects, Times = 1000 });
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/tmp",
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["STORAGE_EMULATOR_HOST"] = _emulator.HostAndPort;
        var command = Process.Start(start)!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (_emulator.Requests.Count(RequestKind.ListObjects) == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.True(_emulator.Requests.Count(RequestKind.ListObjects) > 0, $"{described} never asked for the bucket");
        Assert.False(command.HasExited);
        return command;
    }

    [Theory]
    [InlineData("missing-bucket", true, "missing-bucket")]
    [InlineData("present", false, "does not exist")]
    public async Task A_mount_that_cannot_work_fails_with_a_clear_message(string bucket, bool createMountPoint, string expected)
    {
        using var temp = new TempDirectory();
        _emulator.Store.CreateBucket("present");
        var mountPoint = createMountPoint ? temp.CreateDirectory("mnt") : temp.Combine("nowhere");
        var result = await Cli("mount", $"gs://{bucket}", mountPoint, "--cache-dir", temp.Combine("cache", "new"));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.Null(MountTable.Find(mountPoint));
        // Nothing half-made: the cache folder (and its parent) that the attempt created are gone.
        Assert.False(Directory.Exists(temp.Combine("cache")));
    }

    [Fact]
    public async Task A_failed_mount_keeps_a_cache_folder_that_was_there_before()
    {
        using var temp = new TempDirectory();
        var mountPoint = temp.CreateDirectory("mnt");
        var cache = temp.CreateDirectory("cache");
        File.WriteAllText(Path.Combine(cache, "kept.txt"), "mine");
        var result = await Cli("mount", "gs://no-such-bucket", mountPoint, "--cache-dir", cache);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no-such-bucket", result.Stderr);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(cache, "kept.txt")));
    }

    [Theory]
    [InlineData("--read-chunk-size", "100K", "'read_chunk_size' must be a multiple of 64K")]
    [InlineData("--read-parallelism", "0", "'read_parallelism' takes a whole number from 1 to 64")]
    [InlineData("--read-memory-limit", "1M", "'read_memory_limit' (1M) must be at least 'read_chunk_size' (8M)")]
    public async Task A_read_option_out_of_range_fails_naming_it_before_anything_is_mounted(string option, string value, string expected)
    {
        using var temp = new TempDirectory();
        _emulator.Store.CreateBucket("tuning");
        var mountPoint = temp.CreateDirectory("mnt");
        var result = await Cli("mount", "gs://tuning", mountPoint, "--cache-dir", temp.Combine("cache"), option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.Null(MountTable.Find(mountPoint));
        Assert.Equal(0, _emulator.Requests.Total);
    }

    [Fact]
    public async Task Without_dev_fuse_the_mount_fails_saying_so()
    {
        using var temp = new TempDirectory();
        _emulator.Store.CreateBucket("nodevice");
        var mountPoint = temp.CreateDirectory("mnt");
        // A container started without the device: in a private mount namespace of its own, /dev is replaced by a
        // tmpfs holding only the ordinary character devices. Nothing outside that namespace changes.
        const string script = """
            set -e
            mount --make-rprivate /
            mkdir "$4/host-dev"
            mount --rbind /dev "$4/host-dev"
            mount -t tmpfs none /dev
            for device in null zero full random urandom tty; do
                touch "/dev/$device"
                mount --bind "$4/host-dev/$device" "/dev/$device"
            done
            umount -l "$4/host-dev"
            test ! -e /dev/fuse
            exec "$1" mount gs://nodevice "$2" --cache-dir "$3"
            """;
        var result = await Tool.RunAsync("unshare", ["--mount", "bash", "-c", script, "bash", MountProcess.CliPath, mountPoint, temp.Combine("cache"), temp.Path],
            TimeSpan.FromSeconds(90), Environment);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("/dev/fuse does not exist", result.Stderr);
        Assert.Contains("modprobe fuse", result.Stderr);
        Assert.Null(MountTable.Find(mountPoint));
        Assert.True(File.Exists("/dev/fuse"));
    }

    /// <summary>
    /// A key file that is not there fails before any request: the file is checked when the client is built. (A
    /// machine with no credentials at all is not tested: Application Default Credentials then probe the GCE
    /// metadata server at 169.254.169.254.)
    /// </summary>
    [Fact]
    public async Task A_missing_credentials_file_fails_with_a_clear_message_and_no_request()
    {
        using var temp = new TempDirectory();
        var mountPoint = temp.CreateDirectory("mnt");
        var missing = temp.Combine("no-such-key.json");
        // No emulator: the real endpoint would be used if the key were accepted, so nothing else may point anywhere.
        var result = await Tool.RunAsync("env", ["-u", "STORAGE_EMULATOR_HOST", "-u", "GOOGLE_APPLICATION_CREDENTIALS", MountProcess.CliPath,
            "mount", "gs://some-bucket", mountPoint, "--cache-dir", temp.Combine("cache"), "--credentials", missing], TimeSpan.FromSeconds(90));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"The credentials file '{missing}' does not exist", result.Stderr);
        Assert.Contains("gcloud auth application-default login", result.Stderr);
        Assert.Null(MountTable.Find(mountPoint));
    }

    [Fact]
    public async Task A_non_empty_or_busy_mount_point_is_refused()
    {
        using var temp = new TempDirectory();
        _emulator.Store.CreateBucket("refused");
        var mountPoint = temp.CreateDirectory("mnt");
        File.WriteAllText(Path.Combine(mountPoint, "existing"), "x");
        var notEmpty = await Cli("mount", "gs://refused", mountPoint, "--foreground", "--cache-dir", temp.Combine("cache"));
        Assert.Equal(1, notEmpty.ExitCode);
        Assert.Contains("not empty", notEmpty.Stderr);

        var bad = await Cli("mount", "gs://refused", mountPoint, "-o", "colour=blue");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("colour", bad.Stderr);

        File.Delete(Path.Combine(mountPoint, "existing"));
        await using var mount = await MountProcess.StartAsync(_emulator.HostAndPort, "gs://refused", mountPoint, temp.Combine("cache"));
        var busy = await Cli("mount", "gs://refused", mountPoint, "--foreground", "--cache-dir", temp.Combine("cache2"));
        Assert.Equal(1, busy.ExitCode);
        Assert.Contains("busy", busy.Stderr);
    }

    [Fact]
    public async Task An_fstab_line_mounts_through_mount8_and_the_helper()
    {
        using var temp = new TempDirectory();
        _emulator.Store.CreateBucket("fstab");
        _emulator.Store.PutObject("fstab", "from-fstab.txt", "fstab\n"u8.ToArray());
        var mountPoint = temp.CreateDirectory("mnt");
        // mount(8) runs /sbin/mount.<type>; a type of our own keeps any installed helper untouched.
        var type = $"octue-mount-test{System.Environment.ProcessId}";
        var helper = $"/sbin/mount.{type}";
        // The same helper ./install writes.
        File.WriteAllText(helper, $"#!/bin/sh\nexec {MountProcess.CliPath} mount \"$@\"\n");
        (await Tool.RunAsync("chmod", "755", helper)).EnsureSuccess("chmod");
        var fstab = temp.Combine("fstab");
        File.WriteAllText(fstab, $"gs://fstab {mountPoint} {type} rw,_netdev,nofail,cache_dir={temp.Combine("cache")},metadata_ttl=2,file_mode=640 0 0\n");
        try
        {
            var result = await Tool.RunAsync("mount", ["-T", fstab, mountPoint], TimeSpan.FromSeconds(90), Environment);
            result.EnsureSuccess("mount -T fstab");
            Assert.Equal("fstab\n", (await Tool.RunAsync("cat", Path.Combine(mountPoint, "from-fstab.txt"))).EnsureSuccess("cat").Stdout);
            Assert.Equal("640", (await Tool.RunAsync("stat", "-c", "%a", Path.Combine(mountPoint, "from-fstab.txt"))).EnsureSuccess("stat").Stdout.Trim());
            (await Tool.RunAsync("umount", mountPoint)).EnsureSuccess("umount");
            Assert.Null(MountTable.Find(mountPoint));
        }
        finally
        {
            await MountProcess.CleanUpAsync(mountPoint);
            File.Delete(helper);
        }
    }
}
