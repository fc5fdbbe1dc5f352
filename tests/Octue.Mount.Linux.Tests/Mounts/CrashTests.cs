using System.Diagnostics;
using System.Text;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>The daemon killed with SIGKILL: nobody hangs, and the next mount recovers what was staged.</summary>
[Collection(MountCollection.Name)]
public sealed class CrashTests(EmulatorFixture fixture)
{
    [Fact]
    public async Task Kill_9_of_the_daemon_leaves_no_process_hung_and_the_next_mount_recovers_staged_data()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("crash");
        var mountPoint = temp.Combine("mnt");
        var cache = temp.Combine("cache");
        var first = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", mountPoint, cache);
        Process? writer = null;
        try
        {
            // A writer that has written (staged, not yet uploaded) and keeps the file open: dd copies what the pipe
            // gives it at once, then waits for more. Nothing closes the file, so nothing is flushed.
            var start = new ProcessStartInfo("bash") { UseShellExecute = false, WorkingDirectory = "/tmp" };
            foreach (var argument in new[] { "-c", "(printf 'staged before the crash\\n'; sleep 300) | dd of=\"$1\" bs=64K status=none", "bash", first.Path("unsaved.txt") })
                start.ArgumentList.Add(argument);
            writer = Process.Start(start)!;
            var staged = false;
            for (var i = 0; i < 100 && !staged; i++)
            {
                await Task.Delay(100);
                staged = Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories)
                    .Any(path => new FileInfo(path).Length == 24 && File.ReadAllText(path) == "staged before the crash\n");
            }
            Assert.True(staged, "the written bytes never reached the staging folder");
            Assert.False(fixture.Emulator.Store.TryGetObject(bucket, "unsaved.txt", out var early) && early.Data.Length > 0);

            await first.KillHardAsync();

            // The writer still holds a file of the dead mount; closing it must not hang.
            writer.Kill(entireProcessTree: true);
            await writer.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            var dead = await Tool.RunAsync("ls", [mountPoint], TimeSpan.FromSeconds(15));
            Assert.NotEqual(0, dead.ExitCode);
            Assert.Contains("not connected", dead.Stderr);
        }
        finally
        {
            if (writer is { HasExited: false })
                writer.Kill(entireProcessTree: true);
            writer?.Dispose();
            await first.DisposeAsync();
        }

        // Same mount point, same cache folder: the dead mount is gone and the staged bytes are uploaded.
        await using var second = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", mountPoint, cache);
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "unsaved.txt", out var recovered));
        Assert.Equal("staged before the crash\n", Encoding.UTF8.GetString(recovered.Data));
        Assert.Equal("staged before the crash\n", (await Tool.RunAsync("cat", second.Path("unsaved.txt"))).EnsureSuccess("cat").Stdout);
    }

    [Fact]
    public async Task A_dead_mount_left_in_place_is_replaced_by_the_next_mount()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("stale");
        var mountPoint = temp.Combine("mnt");
        await using (var first = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", mountPoint, temp.Combine("cache")))
        {
            await first.KillHardAsync();
            Assert.NotNull(global::Octue.Mount.Linux.Mounting.MountTable.Find(mountPoint));
            // Not disposed yet: the dead mount stays while the second mount starts.
            await using var second = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", mountPoint, temp.Combine("cache"));
            (await Tool.BashAsync("echo ok > \"$1\"", second.Path("after.txt"))).EnsureSuccess("write after remount");
            Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "after.txt", out _));
        }
    }

    [Fact]
    public async Task A_dead_mount_is_replaced_even_while_the_kernel_still_caches_its_root()
    {
        // Found by the model test: after `ls` of the root, kill -9, the next mount said "not a directory", because
        // access(2) on the dead mount was answered from the root's cached attributes instead of ENOTCONN.
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("deadroot");
        var mountPoint = temp.Combine("mnt");
        await using (var first = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", mountPoint, temp.Combine("cache"), "--metadata-ttl", "60s"))
        {
            (await Tool.RunAsync("stat", mountPoint)).EnsureSuccess("stat of the root");
            (await Tool.RunAsync("ls", "-la", mountPoint)).EnsureSuccess("ls of the root");
            await first.KillHardAsync();
            await using var second = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", mountPoint, temp.Combine("cache"));
            (await Tool.BashAsync("echo ok > \"$1\"", second.Path("after.txt"))).EnsureSuccess("write after remount");
            Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "after.txt", out _));
        }
    }
}
