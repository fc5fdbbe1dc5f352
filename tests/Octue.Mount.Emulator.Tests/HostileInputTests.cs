using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Google;
using Google.Cloud.Storage.V1;
using Octue.Mount.Integrity;
using Object = Google.Apis.Storage.v1.Data.Object;

namespace Octue.Mount.Emulator.Tests;

/// <summary>
/// Input no client should send, answered as GCS would: a clear 400 naming the problem, never a 500, never an object
/// that can no longer be served, and never memory kept for an upload that was refused.
/// </summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private const int Limit = 64 * 1024;
    private GcsEmulator _emulator = null!;
    private StorageClient _client = null!;
    private HttpClient _http = null!;
    private string _bucket = "";

    public async Task InitializeAsync()
    {
        _emulator = await GcsEmulator.StartAsync(new EmulatorOptions { MaxObjectSize = Limit });
        _client = EmulatorFixture.CreateClient(_emulator);
        _http = new HttpClient { BaseAddress = _emulator.Endpoint };
        _bucket = "hostile";
        _emulator.Store.CreateBucket(_bucket);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _client.Dispose();
        await _emulator.DisposeAsync();
    }

    private static async Task<string> ErrorMessageOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("message").GetString()!;

    public static TheoryData<string, string> BrokenHeaderFields() => new()
    {
        { """{"contentType": "text/plain\r\nX-Injected: 1"}""", "contentType" },
        { """{"contentType": "text/plain\u0000"}""", "contentType" },
        { """{"cacheControl": "no-cache\n"}""", "cacheControl" },
        { """{"contentDisposition": "attachment\r"}""", "contentDisposition" },
        { """{"metadata": {"bad\nkey": "v"}}""", "metadata key" },
        { """{"metadata": {"note": "line\r\nbreak"}}""", "metadata value of 'note'" },
        { """{"metadata": {"": "v"}}""", "metadata" },
    };

    [Theory]
    [MemberData(nameof(BrokenHeaderFields))]
    public async Task A_patch_that_would_break_a_response_header_is_400_naming_the_field_and_the_object_stays_readable(string body, string field)
    {
        _emulator.Store.PutObject(_bucket, "doc.txt", "text"u8.ToArray(), new Dictionary<string, string> { ["note"] = "before" }, "text/plain");

        var response = await _http.PatchAsync($"storage/v1/b/{_bucket}/o/doc.txt", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = await ErrorMessageOf(response);
        Assert.Contains("Invalid " + field, message);
        Assert.True(_emulator.Store.TryGetObject(_bucket, "doc.txt", out var stored));
        Assert.Equal(1, stored.Metageneration);
        var download = await _http.GetAsync($"download/storage/v1/b/{_bucket}/o/doc.txt?alt=media");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("text/plain", download.Content.Headers.ContentType!.ToString());
    }

    [Fact]
    public async Task The_client_librarys_patch_with_a_line_break_in_the_content_type_is_a_400_not_a_500()
    {
        _emulator.Store.PutObject(_bucket, "lib.txt", "text"u8.ToArray());
        var error = await Assert.ThrowsAsync<GoogleApiException>(() => _client.PatchObjectAsync(new Object
        {
            Bucket = _bucket, Name = "lib.txt", ContentType = "text/plain\r\nX-Injected: 1",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, error.HttpStatusCode);
        Assert.Contains("control character", error.Message);
        var stream = new MemoryStream();
        await _client.DownloadObjectAsync(_bucket, "lib.txt", stream);
        Assert.Equal("text", Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public async Task An_upload_whose_metadata_would_break_a_header_creates_nothing()
    {
        var start = await _http.PostAsync($"upload/storage/v1/b/{_bucket}/o?uploadType=resumable",
            new StringContent("""{"name": "new.txt", "metadata": {"k": "a\nb"}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, start.StatusCode);
        Assert.Contains("metadata value of 'k'", await ErrorMessageOf(start));
        Assert.Equal(0, _emulator.Uploads.Count);
        Assert.False(_emulator.Store.TryGetObject(_bucket, "new.txt", out _));
    }

    // ---- refused uploads release what they held -------------------------------------------------------------------

    private async Task<(Uri Session, string Id)> StartResumableAsync(string name, long? declaredLength = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"upload/storage/v1/b/{_bucket}/o?uploadType=resumable")
        {
            Content = new StringContent($$"""{"name": "{{name}}"}""", Encoding.UTF8, "application/json"),
        };
        if (declaredLength is { } length)
            request.Headers.Add("X-Upload-Content-Length", length.ToString());
        var start = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        var session = start.Headers.Location!;
        return (session, start.Headers.GetValues("X-GUploader-UploadID").Single());
    }

    private async Task<HttpResponseMessage> PutChunkAsync(Uri session, byte[] body, string range, string? hash = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.Add("Content-Range", range);
        using var request = new HttpRequestMessage(HttpMethod.Put, session) { Content = content };
        if (hash is not null)
            request.Headers.Add("x-goog-hash", hash);
        return await _http.SendAsync(request);
    }

    // Not inlined, so the test's own frame holds no strong reference to the buffer.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private WeakReference BufferOf(string id) => new(_emulator.Uploads.Find(id)!.Buffer!);

    private void AssertReleased(string id, WeakReference buffer)
    {
        Assert.Null(_emulator.Uploads.Find(id));
        Assert.Equal(0, _emulator.Uploads.Count);
        for (var i = 0; i < 3 && buffer.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(buffer.IsAlive, "the refused upload's bytes are still referenced");
    }

    [Fact]
    public async Task A_resumable_upload_declared_larger_than_the_emulator_takes_is_refused_before_any_session_exists()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"upload/storage/v1/b/{_bucket}/o?uploadType=resumable")
        {
            Content = new StringContent("""{"name": "huge.bin"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Upload-Content-Length", "3221225472");
        var start = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, start.StatusCode);
        Assert.Contains("3221225472 bytes", await ErrorMessageOf(start));
        Assert.Equal(0, _emulator.Uploads.Count);
    }

    [Fact]
    public async Task Chunks_that_grow_past_the_limit_are_refused_and_the_session_and_its_bytes_are_released()
    {
        var (session, id) = await StartResumableAsync("growing.bin");
        Assert.Equal(308, (int)(await PutChunkAsync(session, new byte[Limit / 2], $"bytes 0-{Limit / 2 - 1}/*")).StatusCode);
        var buffer = BufferOf(id);

        var over = await PutChunkAsync(session, new byte[Limit], $"bytes {Limit / 2}-{Limit / 2 + Limit - 1}/*");

        Assert.Equal(HttpStatusCode.BadRequest, over.StatusCode);
        Assert.Contains($"{Limit} bytes", await ErrorMessageOf(over));
        AssertReleased(id, buffer);
        Assert.False(_emulator.Store.TryGetObject(_bucket, "growing.bin", out _));
        Assert.Equal(HttpStatusCode.NotFound, (await PutChunkAsync(session, [], "bytes */*")).StatusCode);
    }

    [Fact]
    public async Task A_total_over_the_limit_named_in_content_range_releases_the_session()
    {
        var (session, id) = await StartResumableAsync("total.bin");
        Assert.Equal(308, (int)(await PutChunkAsync(session, new byte[1000], "bytes 0-999/*")).StatusCode);
        var buffer = BufferOf(id);

        var over = await PutChunkAsync(session, new byte[1000], "bytes 1000-1999/3221225472");

        Assert.Equal(HttpStatusCode.BadRequest, over.StatusCode);
        AssertReleased(id, buffer);
    }

    [Fact]
    public async Task A_chunk_longer_than_the_declared_length_releases_the_session()
    {
        var (session, id) = await StartResumableAsync("declared.bin", declaredLength: 1000);
        var buffer = BufferOf(id);

        var over = await PutChunkAsync(session, new byte[2000], "bytes 0-1999/*");

        Assert.Equal(HttpStatusCode.BadRequest, over.StatusCode);
        Assert.Contains("declared", await ErrorMessageOf(over));
        AssertReleased(id, buffer);
    }

    [Fact]
    public async Task An_upload_refused_for_its_hash_releases_the_session()
    {
        var data = new byte[3000];
        new Random(5).NextBytes(data);
        var (session, id) = await StartResumableAsync("hash.bin", declaredLength: data.Length);
        Assert.Equal(308, (int)(await PutChunkAsync(session, data[..1000], "bytes 0-999/3000")).StatusCode);
        var buffer = BufferOf(id);

        var wrong = (byte[])data.Clone();
        wrong[0] ^= 1;
        var last = await PutChunkAsync(session, data[1000..], "bytes 1000-2999/3000", hash: "crc32c=" + GcsHash.ToBase64(Crc32C.Compute(wrong)));

        Assert.Equal(HttpStatusCode.BadRequest, last.StatusCode);
        AssertReleased(id, buffer);
        Assert.False(_emulator.Store.TryGetObject(_bucket, "hash.bin", out _));
    }

    [Fact]
    public async Task Media_and_multipart_uploads_over_the_limit_are_400_and_create_nothing()
    {
        var media = await _http.PostAsync($"upload/storage/v1/b/{_bucket}/o?uploadType=media&name=media.bin", new ByteArrayContent(new byte[Limit + 1]));
        Assert.Equal(HttpStatusCode.BadRequest, media.StatusCode);
        Assert.Contains($"{Limit} bytes", await ErrorMessageOf(media));

        var error = await Assert.ThrowsAsync<GoogleApiException>(() => _client.UploadObjectAsync(_bucket, "client.bin", "application/octet-stream",
            new MemoryStream(new byte[Limit + 1]), new UploadObjectOptions { ChunkSize = UploadObjectOptions.MinimumChunkSize }));
        Assert.Equal(HttpStatusCode.BadRequest, error.HttpStatusCode);

        Assert.False(_emulator.Store.TryGetObject(_bucket, "media.bin", out _));
        Assert.False(_emulator.Store.TryGetObject(_bucket, "client.bin", out _));
        Assert.Equal(0, _emulator.Uploads.Count);
    }
}
