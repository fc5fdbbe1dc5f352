using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Octue.Mount.Emulator.Tests;

/// <summary>
/// A resumable upload whose length is not known until its last request (a file streamed while it is written) is
/// stored as the chunks it arrived in, as Cloud Storage stores it, not copied into one array at the finish; every way
/// of reading the object (whole, by ranges across the chunks' seams, copied, composed) returns exactly its bytes.
/// </summary>
public sealed class StreamedUploadStorageTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>, IDisposable
{
    private const int Chunk = 256 * 1024;
    private readonly HttpClient _http = new() { BaseAddress = fixture.Emulator.Endpoint };

    public void Dispose() => _http.Dispose();

    private async Task<byte[]> UploadInChunksAsync(string bucket, string name, byte[] data)
    {
        var start = await _http.PostAsync($"upload/storage/v1/b/{bucket}/o?uploadType=resumable",
            new StringContent(JsonSerializer.Serialize(new { name }), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        var session = start.Headers.Location!;
        for (var offset = 0; offset < data.Length; offset += Chunk)
        {
            var end = Math.Min(offset + Chunk, data.Length);
            var content = new ByteArrayContent(data[offset..end]);
            // Chunks before the last declare no total; the last one does.
            content.Headers.Add("Content-Range", end < data.Length ? $"bytes {offset}-{end - 1}/*" : $"bytes {offset}-{end - 1}/{data.Length}");
            var response = await _http.PutAsync(session, content);
            Assert.Equal(end < data.Length ? 308 : 200, (int)response.StatusCode);
        }
        return data;
    }

    [Fact]
    public async Task An_upload_of_unknown_length_is_kept_in_its_chunks_and_read_exactly_across_them()
    {
        var bucket = fixture.NewBucket();
        var data = await UploadInChunksAsync(bucket, "streamed.bin", ConformanceTests.RandomBytes(3 * Chunk + 1234, seed: 31));

        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "streamed.bin", out var stored));
        // Four pieces, the chunks as they came: nothing was copied when the last one arrived.
        Assert.Equal(4, stored.Bytes.Pieces.Count);
        Assert.Equal(data.Length, stored.Size);

        var whole = await _http.GetByteArrayAsync($"download/storage/v1/b/{bucket}/o/streamed.bin?alt=media");
        Assert.Equal(data, whole);
        foreach (var (first, last) in new[] { (0, 0), (Chunk - 10, Chunk + 10), (Chunk, 2 * Chunk - 1), (100, 3 * Chunk + 100), (3 * Chunk, data.Length - 1) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"download/storage/v1/b/{bucket}/o/streamed.bin?alt=media");
            request.Headers.Range = new RangeHeaderValue(first, last);
            using var response = await _http.SendAsync(request);
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal(data[first..(last + 1)], await response.Content.ReadAsByteArrayAsync());
        }

        var copied = await _http.PostAsync($"storage/v1/b/{bucket}/o/streamed.bin/copyTo/b/{bucket}/o/copy.bin", new StringContent(""));
        Assert.Equal(HttpStatusCode.OK, copied.StatusCode);
        Assert.Equal(data, await _http.GetByteArrayAsync($"download/storage/v1/b/{bucket}/o/copy.bin?alt=media"));

        fixture.Emulator.Store.PutObject(bucket, "tail.bin", "tail"u8.ToArray());
        var compose = await _http.PostAsync($"storage/v1/b/{bucket}/o/composed.bin/compose",
            new StringContent("""{"sourceObjects":[{"name":"streamed.bin"},{"name":"tail.bin"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, compose.StatusCode);
        var composed = await _http.GetByteArrayAsync($"download/storage/v1/b/{bucket}/o/composed.bin?alt=media");
        Assert.Equal(data.Concat("tail"u8.ToArray()).ToArray(), composed);

        // The one-array view (tests, persistence) is the same bytes.
        Assert.Equal(data, stored.Data);
    }
}
