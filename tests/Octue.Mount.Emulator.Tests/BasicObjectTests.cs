using System.Net;
using System.Text;
using Google;
using Google.Cloud.Storage.V1;

namespace Octue.Mount.Emulator.Tests;

public sealed class BasicObjectTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>
{
    private StorageClient Client => fixture.Client;

    [Fact]
    public async Task UploadThenDownloadRoundTripsBytesAndHashes()
    {
        var bucket = fixture.NewBucket();
        var data = Encoding.UTF8.GetBytes("hello, emulator");
        var uploaded = await Client.UploadObjectAsync(bucket, "greeting.txt", "text/plain", new MemoryStream(data));
        Assert.Equal((ulong)data.Length, uploaded.Size);
        Assert.Equal("text/plain", uploaded.ContentType);
        Assert.True(uploaded.Generation > 0);
        Assert.Equal(1, uploaded.Metageneration);

        var output = new MemoryStream();
        await Client.DownloadObjectAsync(bucket, "greeting.txt", output);
        Assert.Equal(data, output.ToArray());

        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "greeting.txt", out var stored));
        Assert.Equal(uploaded.Generation, stored.Generation);
        Assert.Equal(uploaded.Crc32c, Convert.ToBase64String(BitConverter.GetBytes(stored.Crc32c).Reverse().ToArray()));
    }

    [Fact]
    public async Task GetOfMissingObjectIs404()
    {
        var bucket = fixture.NewBucket();
        var e = await Assert.ThrowsAsync<GoogleApiException>(() => Client.GetObjectAsync(bucket, "missing"));
        Assert.Equal(HttpStatusCode.NotFound, e.HttpStatusCode);
    }
}
