using Octue.Mount.Linux.Mounting;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>The INIT reply can only lower readahead; the mount raises its backing device's so READs are 1 MiB.</summary>
[Collection(MountCollection.Name)]
public sealed class ReadAheadTests(EmulatorFixture fixture)
{
    [Fact]
    public async Task The_mount_raises_read_ahead_kb_of_its_backing_device_to_1024()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("readahead");
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));
        var entry = MountTable.Find(mount.MountPoint);
        Assert.NotNull(entry);
        Assert.Equal(0, entry.Major);
        // Tests run as root, so the daemon may write it; the kernel's default is 128.
        var path = $"/sys/class/bdi/{entry.Major}:{entry.Minor}/read_ahead_kb";
        Assert.Equal("1024", (await File.ReadAllTextAsync(path)).Trim());
    }
}
