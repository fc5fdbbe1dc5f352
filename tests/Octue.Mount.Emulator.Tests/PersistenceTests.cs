using System.Net;
using Google;
using Google.Cloud.Storage.V1;
using Object = Google.Apis.Storage.v1.Data.Object;

namespace Octue.Mount.Emulator.Tests;

public sealed class PersistenceTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "octue-emulator-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task ObjectsSurviveARestartOfTheEmulator()
    {
        var data = ConformanceTests.RandomBytes(200_000, seed: 7);
        Object kept;
        long putGeneration;
        await using (var emulator = await GcsEmulator.StartAsync(new EmulatorOptions { DataDirectory = _folder }))
        {
            using var client = EmulatorFixture.CreateClient(emulator);
            await client.CreateBucketAsync("test-project", "kept");
            await client.UploadObjectAsync(new Object
            {
                Bucket = "kept", Name = "dir/a b.bin", ContentType = "application/x-kept", Metadata = new Dictionary<string, string> { ["k"] = "v" },
            }, new MemoryStream(data));
            kept = await client.PatchObjectAsync(new Object { Bucket = "kept", Name = "dir/a b.bin", Metadata = new Dictionary<string, string> { ["k2"] = "v2" } });
            await client.UploadObjectAsync("kept", "deleted", null, new MemoryStream([1]));
            await client.DeleteObjectAsync("kept", "deleted");
            await client.UploadObjectAsync("kept", "overwritten", null, new MemoryStream([1]));
            await client.UploadObjectAsync("kept", "overwritten", null, new MemoryStream([2, 2]));
            putGeneration = emulator.Store.PutObject("kept", "in-process", [3, 3, 3]);
        }

        await using (var emulator = await GcsEmulator.StartAsync(new EmulatorOptions { DataDirectory = _folder }))
        {
            using var client = EmulatorFixture.CreateClient(emulator);
            Assert.Equal(["dir/a b.bin", "in-process", "overwritten"], emulator.Store.ListObjectNames("kept"));
            var reloaded = await client.GetObjectAsync("kept", "dir/a b.bin");
            Assert.Equal(kept.Generation, reloaded.Generation);
            Assert.Equal(kept.Metageneration, reloaded.Metageneration);
            Assert.Equal(kept.Crc32c, reloaded.Crc32c);
            Assert.Equal(kept.Md5Hash, reloaded.Md5Hash);
            Assert.Equal("application/x-kept", reloaded.ContentType);
            Assert.Equal(new Dictionary<string, string> { ["k"] = "v", ["k2"] = "v2" }, reloaded.Metadata);
            var output = new MemoryStream();
            await client.DownloadObjectAsync("kept", "dir/a b.bin", output);
            Assert.Equal(data, output.ToArray());
            Assert.True(emulator.Store.TryGetObject("kept", "overwritten", out var overwritten));
            Assert.Equal([2, 2], overwritten.Data);
            Assert.True(emulator.Store.TryGetObject("kept", "in-process", out var inProcess));
            Assert.Equal(putGeneration, inProcess.Generation);
            var missing = await Assert.ThrowsAsync<GoogleApiException>(() => client.GetObjectAsync("kept", "deleted"));
            Assert.Equal(HttpStatusCode.NotFound, missing.HttpStatusCode);

            // Generations keep growing past the ones reloaded.
            var rewritten = await client.UploadObjectAsync("kept", "dir/a b.bin", null, new MemoryStream([4]));
            Assert.True(rewritten.Generation > kept.Generation);
        }

        // Only the live generation of each object is kept on disk.
        var dataFiles = Directory.GetFiles(_folder, "*.bin", SearchOption.AllDirectories);
        Assert.Equal(3, dataFiles.Length);
    }

    [Fact]
    public async Task AnInMemoryEmulatorForgetsEverything()
    {
        await using (var emulator = await GcsEmulator.StartAsync())
        {
            emulator.Store.CreateBucket("gone");
            emulator.Store.PutObject("gone", "x", [1]);
            Assert.Null(emulator.Store.DataDirectory);
        }
        await using (var emulator = await GcsEmulator.StartAsync())
            Assert.False(emulator.Store.BucketExists("gone"));
    }
}
