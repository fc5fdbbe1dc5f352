using System.Text;
using Octue.Mount.Emulator;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>
/// A mount whose cache folder fills up (a tmpfs of 16 MiB): the writer gets "No space left on device", the object
/// keeps its bytes and generation, nothing is uploaded, and nothing is left to upload at the next start.
/// </summary>
[Collection(MountCollection.Name)]
public sealed class FullCacheTests(EmulatorFixture fixture)
{
    private const int MiB = 1 << 20;

    [Fact]
    public async Task Cp_of_a_file_larger_than_the_cache_disk_fails_with_ENOSPC_and_publishes_nothing()
    {
        using var temp = new TempDirectory();
        var cache = temp.CreateDirectory("cache");
        var mountPoint = temp.Combine("mnt");
        var bucket = fixture.NewBucket("full");
        var original = new byte[MiB];
        new Random(9).NextBytes(original);
        var generation = fixture.Emulator.Store.PutObject(bucket, "doc.bin", original);
        var large = new byte[48 * MiB];
        new Random(10).NextBytes(large);
        var source = temp.Combine("new.bin");
        await File.WriteAllBytesAsync(source, large);

        (await Tool.RunAsync("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", cache)).EnsureSuccess("mount a 16 MiB tmpfs");
        try
        {
            // The log goes beside the cache folder (cache.log), not onto the small disk.
            await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", mountPoint, cache);
            var uploads = fixture.Emulator.Requests.Count(RequestKind.Upload);

            var replaced = await Tool.RunAsync("cp", source, mount.Path("doc.bin"));
            Assert.NotEqual(0, replaced.ExitCode);
            Assert.Contains("No space left on device", replaced.Stderr);
            var created = await Tool.RunAsync("cp", source, mount.Path("fresh.bin"));
            Assert.NotEqual(0, created.ExitCode);
            Assert.Contains("No space left on device", created.Stderr);

            Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "doc.bin", out var kept));
            Assert.Equal(generation, kept.Generation);
            Assert.Equal(original, kept.Data);
            Assert.False(fixture.Emulator.Store.TryGetObject(bucket, "fresh.bin", out _));
            Assert.Equal(uploads, fixture.Emulator.Requests.Count(RequestKind.Upload));
            Assert.Empty(Directory.GetFiles(Path.Combine(cache, "staging")));
            Assert.Contains("is discarded and not uploaded", mount.ReadLog());

            // The space came back: a copy that fits succeeds, and reads back.
            (await Tool.BashAsync("printf 'fits now' > \"$1\"", mount.Path("doc.bin"))).EnsureSuccess("write after the failure");
            Assert.Equal("fits now", (await Tool.RunAsync("cat", mount.Path("doc.bin"))).EnsureSuccess("cat").Stdout);
            await mount.StopAsync(TimeSpan.FromSeconds(30));

            // Nothing was left for the next start to upload.
            await using var next = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", mountPoint, cache);
            Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "doc.bin", out var after));
            Assert.Equal("fits now", Encoding.UTF8.GetString(after.Data));
            Assert.False(fixture.Emulator.Store.TryGetObject(bucket, "fresh.bin", out _));
        }
        finally
        {
            await MountProcess.CleanUpAsync(mountPoint);
            await Tool.RunAsync("umount", "-l", cache);
        }
    }
}
