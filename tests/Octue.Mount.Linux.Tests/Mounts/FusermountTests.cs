using System.Text;
using Octue.Mount.Linux.Mounting;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>
/// The path every non-root user takes: fusermount3 mounts and passes /dev/fuse back over a socket (_FUSE_COMMFD,
/// SCM_RIGHTS), and <c>fusermount3 -u</c> unmounts. Forced here as root; the CLI tests also mount as an ordinary user
/// (UnprivilegedMountTests).
/// </summary>
[Collection(MountCollection.Name)]
public sealed class FusermountTests(EmulatorFixture fixture)
{
    [Fact]
    public async Task A_mount_made_through_fusermount3_reads_and_writes_and_ends_with_fusermount3_u()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("fusermount");
        fixture.Emulator.Store.PutObject(bucket, "in.txt", "through the socket\n"u8.ToArray());
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"),
            "--via-fusermount");

        // mount(2) as root passes max_read, which the kernel shows; fusermount3 builds its own options without it.
        var superOptions = File.ReadAllLines("/proc/self/mountinfo").Single(l => l.Split(' ')[4] == mount.MountPoint).Split(" - ")[1].Split(' ')[2];
        Assert.DoesNotContain("max_read=", superOptions);
        Assert.Contains("through fusermount3", mount.ReadLog());

        Assert.Equal("through the socket\n", (await Tool.RunAsync("cat", mount.Path("in.txt"))).EnsureSuccess("cat").Stdout);
        (await Tool.BashAsync("echo written > \"$1\"", mount.Path("out.txt"))).EnsureSuccess("write");
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "out.txt", out var stored));
        Assert.Equal("written\n", Encoding.UTF8.GetString(stored.Data));

        (await Tool.RunAsync("fusermount3", "-u", mount.MountPoint)).EnsureSuccess("fusermount3 -u");
        Assert.Null(MountTable.Find(mount.MountPoint));
        await mount.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, mount.ExitCode);
    }
}
