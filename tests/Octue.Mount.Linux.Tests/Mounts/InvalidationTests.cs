using Octue.Mount.Storage;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>Changes made by other clients reach the kernel's caches as soon as the mount notices them.</summary>
[Collection(MountCollection.Name)]
public sealed class InvalidationTests(EmulatorFixture fixture)
{
    [Fact]
    public async Task A_file_deleted_by_another_client_is_gone_from_the_kernel_once_a_listing_misses_it()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("inval");
        fixture.Emulator.Store.PutObject(bucket, "dir/gone.txt", "soon gone\n"u8.ToArray());
        fixture.Emulator.Store.PutObject(bucket, "dir/stays.txt", "still here\n"u8.ToArray());
        // Entries and attributes are trusted for a minute: only a notification can end the kernel's entry earlier.
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"),
            "--metadata-ttl", "60");
        var gone = mount.Path("dir", "gone.txt");
        (await Tool.RunAsync("stat", gone)).EnsureSuccess("stat before the delete");

        using var client = GcsObjectStore.Create(new ObjectStoreOptions { EmulatorHost = fixture.Emulator.HostAndPort });
        await client.DeleteAsync(bucket, "dir/gone.txt");
        // The kernel still trusts its entry: nothing has told it otherwise.
        (await Tool.RunAsync("stat", gone)).EnsureSuccess("stat from the kernel's cache");

        // The directory was never listed, so this listing is fresh and lacks the name the kernel holds.
        var listing = (await Tool.RunAsync("ls", mount.Path("dir"))).EnsureSuccess("ls").Stdout;
        Assert.Contains("stays.txt", listing);
        Assert.DoesNotContain("gone.txt", listing);

        // The notification leaves from its own thread, so it may land just after ls returns; the kernel's own
        // entry timeout is a minute away, far beyond this wait.
        var stat = await Tool.RunAsync("stat", gone);
        for (var i = 0; i < 50 && stat.ExitCode == 0; i++)
        {
            await Task.Delay(100);
            stat = await Tool.RunAsync("stat", gone);
        }
        Assert.NotEqual(0, stat.ExitCode);
        Assert.Contains("No such file or directory", stat.Stderr);
        (await Tool.RunAsync("stat", mount.Path("dir", "stays.txt"))).EnsureSuccess("stat of the file that stays");
    }
    [Theory]
    [InlineData(5 << 20)]
    [InlineData(1 << 21)]
    public async Task A_large_file_replaced_after_its_stat_is_read_whole_in_its_new_version(int newLength)
    {
        // The open of a large file trusts the fresh stat and lets its first read revalidate: a version replaced
        // in between (larger or smaller) must still be read whole and only, with the size the kernel shows updated.
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("inval");
        var old = new byte[3 << 20];
        new Random(5).NextBytes(old);
        fixture.Emulator.Store.PutObject(bucket, "big.bin", old);
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"),
            "--metadata-ttl", "60");
        var path = mount.Path("big.bin");
        Assert.Contains($"{old.Length}", (await Tool.RunAsync("stat", "-c", "%s", path)).EnsureSuccess("stat before").Stdout);

        var replacement = new byte[newLength];
        new Random(6).NextBytes(replacement);
        fixture.Emulator.Store.PutObject(bucket, "big.bin", replacement);
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(replacement));
        var sum = (await Tool.RunAsync("sha256sum", path)).EnsureSuccess("sha256sum of the replaced file").Stdout;
        Assert.StartsWith(expected, sum);
        Assert.Contains($"{replacement.Length}", (await Tool.RunAsync("stat", "-c", "%s", path)).EnsureSuccess("stat after").Stdout);
    }
}
