using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Octue.Mount.Integrity;

namespace Octue.Mount.Emulator.Tests;

/// <summary>Wire-level behaviour the client libraries rely on, checked with plain HTTP requests.</summary>
public sealed class ProtocolTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>, IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = fixture.Emulator.Endpoint };

    private GcsEmulator Emulator => fixture.Emulator;

    public void Dispose() => _http.Dispose();

    private static string Quote(string value) => JsonSerializer.Serialize(value);

    private async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task ObjectResourceUsesStringInt64sBase64HashesAndRfc3339Times()
    {
        var bucket = fixture.NewBucket();
        var data = "resource"u8.ToArray();
        Emulator.Store.PutObject(bucket, "r", data, new Dictionary<string, string> { ["m"] = "1" }, "text/plain");
        var o = await JsonOf(await _http.GetAsync($"storage/v1/b/{bucket}/o/r"));
        Assert.Equal("storage#object", o.GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.String, o.GetProperty("size").ValueKind);
        Assert.Equal("8", o.GetProperty("size").GetString());
        Assert.Equal(JsonValueKind.String, o.GetProperty("generation").ValueKind);
        Assert.Equal("1", o.GetProperty("metageneration").GetString());
        Assert.Equal(GcsHash.ToBase64(Crc32C.Compute(data)), o.GetProperty("crc32c").GetString());
        Assert.Equal(Convert.ToBase64String(MD5.HashData(data)), o.GetProperty("md5Hash").GetString());
        Assert.Equal("text/plain", o.GetProperty("contentType").GetString());
        Assert.Equal("STANDARD", o.GetProperty("storageClass").GetString());
        Assert.False(string.IsNullOrEmpty(o.GetProperty("etag").GetString()));
        Assert.Equal("1", o.GetProperty("metadata").GetProperty("m").GetString());
        var updated = o.GetProperty("updated").GetString()!;
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", updated);
    }

    [Fact]
    public async Task ErrorsAreGcsJsonBodies()
    {
        var missing = await _http.GetAsync("storage/v1/b/no-such-bucket/o/x");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var error = (await JsonOf(missing)).GetProperty("error");
        Assert.Equal(404, error.GetProperty("code").GetInt32());
        Assert.Equal("notFound", error.GetProperty("errors")[0].GetProperty("reason").GetString());

        var created = await _http.PostAsync("storage/v1/b?project=p", new StringContent("""{"name":"dup-bucket"}"""));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var again = await _http.PostAsync("storage/v1/b?project=p", new StringContent("""{"name":"dup-bucket"}"""));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var invalid = await _http.PostAsync("storage/v1/b?project=p", new StringContent("""{"name":"Bad Name"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Fact]
    public async Task GzipCompressedJsonBodiesAreUnderstood()
    {
        var bucket = fixture.NewBucket();
        Emulator.Store.PutObject(bucket, "g", [1]);
        var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            await gzip.WriteAsync("""{"metadata":{"zipped":"yes"}}"""u8.ToArray());
        var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        var response = await _http.PatchAsync($"storage/v1/b/{bucket}/o/g", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(Emulator.Store.TryGetObject(bucket, "g", out var stored));
        Assert.Equal("yes", stored.Metadata["zipped"]);
        Assert.Equal(2, stored.Metageneration);
    }

    [Fact]
    public async Task ResumableStatusQueryReportsPersistedBytesAndNeverFinalizesShort()
    {
        var bucket = fixture.NewBucket();
        var data = ConformanceTests.RandomBytes(1000, seed: 8);
        var start = await _http.PostAsync($"upload/storage/v1/b/{bucket}/o?uploadType=resumable&ifGenerationMatch=0",
            new StringContent("""{"name":"resumed.bin","contentType":"application/x-r"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        var session = start.Headers.Location!;
        Assert.True(session.IsAbsoluteUri);

        async Task<HttpResponseMessage> Put(byte[] body, string range)
        {
            var content = new ByteArrayContent(body);
            content.Headers.Add("Content-Range", range);
            return await _http.PutAsync(session, content);
        }

        var status = await Put([], "bytes */1000");
        Assert.Equal(308, (int)status.StatusCode);
        Assert.False(status.Headers.Contains("Range"));

        var first = await Put(data[..400], "bytes 0-399/*");
        Assert.Equal(308, (int)first.StatusCode);
        Assert.Equal("bytes=0-399", first.Headers.GetValues("Range").Single());

        // A chunk that starts inside persisted bytes is taken from where they end.
        var overlapping = await Put(data[300..999], "bytes 300-998/1000");
        Assert.Equal(308, (int)overlapping.StatusCode);
        Assert.Equal("bytes=0-998", overlapping.Headers.GetValues("Range").Single());
        var query = await Put([], "bytes */1000");
        Assert.Equal(308, (int)query.StatusCode);
        Assert.Equal("bytes=0-998", query.Headers.GetValues("Range").Single());
        Assert.False(Emulator.Store.TryGetObject(bucket, "resumed.bin", out _));

        var last = await Put(data[999..], "bytes 999-999/1000");
        Assert.Equal(HttpStatusCode.OK, last.StatusCode);
        Assert.Equal("1000", (await JsonOf(last)).GetProperty("size").GetString());
        Assert.True(Emulator.Store.TryGetObject(bucket, "resumed.bin", out var stored));
        Assert.Equal(data, stored.Data);
        Assert.Equal("application/x-r", stored.ContentType);

        // The finished session answers with the object.
        var after = await Put([], "bytes */1000");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task ResumableFinalizeChecksPreconditionsAndTheFinalHashHeader()
    {
        var bucket = fixture.NewBucket();
        Emulator.Store.PutObject(bucket, "taken", [0]);
        var start = await _http.PostAsync($"upload/storage/v1/b/{bucket}/o?uploadType=resumable&name=taken&ifGenerationMatch=0", null);
        var content = new ByteArrayContent([1, 2]);
        content.Headers.Add("Content-Range", "bytes 0-1/2");
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await _http.PutAsync(start.Headers.Location, content)).StatusCode);

        var second = await _http.PostAsync($"upload/storage/v1/b/{bucket}/o?uploadType=resumable&name=hashed", null);
        var hashed = new ByteArrayContent([1, 2]);
        hashed.Headers.Add("Content-Range", "bytes 0-1/2");
        hashed.Headers.Add("x-goog-hash", "crc32c=" + GcsHash.ToBase64(Crc32C.Compute([9, 9])));
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.PutAsync(second.Headers.Location, hashed)).StatusCode);
        Assert.False(Emulator.Store.TryGetObject(bucket, "hashed", out _));
    }

    /// <summary>POSTs to a session URI, as Go's client library does (rclone uploads over 16 MiB this way).</summary>
    private async Task<HttpResponseMessage> PostChunk(Uri session, byte[] body, string range, bool no308 = false, string? hash = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.Add("Content-Range", range);
        using var request = new HttpRequestMessage(HttpMethod.Post, session) { Content = content };
        if (no308)
            request.Headers.Add("X-GUploader-No-308", "yes");
        if (hash is not null)
            request.Headers.Add("x-goog-hash", hash);
        return await _http.SendAsync(request);
    }

    [Fact]
    public async Task ResumableChunksMayBePostedToTheSessionUri()
    {
        var bucket = fixture.NewBucket();
        var data = ConformanceTests.RandomBytes(1000, seed: 21);
        var start = await _http.PostAsync($"upload/storage/v1/b/{bucket}/o?uploadType=resumable",
            new StringContent("""{"name":"posted/chunks.bin","contentType":"application/x-p"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        var session = start.Headers.Location!;

        var first = await PostChunk(session, data[..400], "bytes 0-399/*");
        Assert.Equal(308, (int)first.StatusCode);
        Assert.Equal("bytes=0-399", first.Headers.GetValues("Range").Single());

        var status = await PostChunk(session, [], "bytes */1000");
        Assert.Equal(308, (int)status.StatusCode);
        Assert.Equal("bytes=0-399", status.Headers.GetValues("Range").Single());
        Assert.False(Emulator.Store.TryGetObject(bucket, "posted/chunks.bin", out _));

        // With X-GUploader-No-308 "incomplete" is a 200 that says 308 in a header, with the same Range.
        var second = await PostChunk(session, data[400..800], "bytes 400-799/*", no308: true);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("308", second.Headers.GetValues("X-HTTP-Status-Code-Override").Single());
        Assert.Equal("bytes=0-799", second.Headers.GetValues("Range").Single());
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());
        var quiet = await PostChunk(session, [], "bytes */1000", no308: true);
        Assert.Equal(HttpStatusCode.OK, quiet.StatusCode);
        Assert.Equal("308", quiet.Headers.GetValues("X-HTTP-Status-Code-Override").Single());
        Assert.Equal("bytes=0-799", quiet.Headers.GetValues("Range").Single());
        Assert.False(Emulator.Store.TryGetObject(bucket, "posted/chunks.bin", out _));

        var last = await PostChunk(session, data[800..], "bytes 800-999/1000", no308: true,
            hash: "crc32c=" + GcsHash.ToBase64(Crc32C.Compute(data)));
        Assert.Equal(HttpStatusCode.OK, last.StatusCode);
        Assert.False(last.Headers.Contains("X-HTTP-Status-Code-Override"));
        var resource = await JsonOf(last);
        Assert.Equal("posted/chunks.bin", resource.GetProperty("name").GetString());
        Assert.Equal("1000", resource.GetProperty("size").GetString());
        Assert.True(Emulator.Store.TryGetObject(bucket, "posted/chunks.bin", out var stored));
        Assert.Equal(data, stored.Data);
        Assert.Equal("application/x-p", stored.ContentType);

        // The finished session answers with the object, and a POST without upload_id still opens an upload.
        Assert.Equal(HttpStatusCode.OK, (await PostChunk(session, [], "bytes */1000")).StatusCode);
        var other = await _http.PostAsync($"upload/storage/v1/b/{bucket}/o?uploadType=resumable&name=other", null);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.NotEqual(session, other.Headers.Location);
    }

    [Fact]
    public async Task APostedResumableUploadWithAWrongCrc32cIsRefusedAndCreatesNothing()
    {
        var bucket = fixture.NewBucket();
        var data = ConformanceTests.RandomBytes(600, seed: 22);
        var start = await _http.PostAsync($"upload/storage/v1/b/{bucket}/o?uploadType=resumable&name=bad-crc.bin", null);
        var session = start.Headers.Location!;
        Assert.Equal(308, (int)(await PostChunk(session, data[..512], "bytes 0-511/*")).StatusCode);
        var status = await PostChunk(session, [], "bytes */600");
        Assert.Equal(308, (int)status.StatusCode);
        Assert.Equal("bytes=0-511", status.Headers.GetValues("Range").Single());

        var wrong = data.ToArray();
        wrong[0] ^= 0xFF;
        var last = await PostChunk(session, data[512..], "bytes 512-599/600",
            hash: "crc32c=" + GcsHash.ToBase64(Crc32C.Compute(wrong)));
        Assert.Equal(HttpStatusCode.BadRequest, last.StatusCode);
        Assert.Equal(400, (await JsonOf(last)).GetProperty("error").GetProperty("code").GetInt32());
        Assert.False(Emulator.Store.TryGetObject(bucket, "bad-crc.bin", out _));
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"storage/v1/b/{bucket}/o/bad-crc.bin")).StatusCode);
        // The refusal ended the session: nothing more can be added to it.
        Assert.Equal(HttpStatusCode.NotFound, (await PostChunk(session, [], "bytes */600")).StatusCode);
    }

    [Fact]
    public async Task MultipartAndMediaUploadsCheckDeclaredHashes()
    {
        var bucket = fixture.NewBucket();
        var data = "multipart body"u8.ToArray();
        HttpContent Multipart(string metadataJson)
        {
            var multipart = new MultipartContent("related", "boundary-x");
            multipart.Add(new StringContent(metadataJson, Encoding.UTF8, "application/json"));
            var media = new ByteArrayContent(data);
            media.Headers.ContentType = new MediaTypeHeaderValue("text/x-part");
            multipart.Add(media);
            return multipart;
        }

        var good = await _http.PostAsync($"upload/storage/v1/b/{bucket}/o?uploadType=multipart",
            Multipart("""{"name":"mp","md5Hash":""" + Quote(Convert.ToBase64String(MD5.HashData(data))) + ""","metadata":{"a":"b"}}"""));
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.True(Emulator.Store.TryGetObject(bucket, "mp", out var stored));
        Assert.Equal(data, stored.Data);
        Assert.Equal("text/x-part", stored.ContentType);
        Assert.Equal("b", stored.Metadata["a"]);

        var bad = await _http.PostAsync($"upload/storage/v1/b/{bucket}/o?uploadType=multipart",
            Multipart("""{"name":"mp-bad","md5Hash":""" + Quote(Convert.ToBase64String(new byte[16])) + "}"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.False(Emulator.Store.TryGetObject(bucket, "mp-bad", out _));

        var media = new ByteArrayContent(data);
        media.Headers.Add("x-goog-hash", "crc32c=AAAAAA==");
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.PostAsync($"upload/storage/v1/b/{bucket}/o?uploadType=media&name=m", media)).StatusCode);
        Assert.False(Emulator.Store.TryGetObject(bucket, "m", out _));

        var tooMuchMetadata = await _http.PostAsync($"upload/storage/v1/b/{bucket}/o?uploadType=multipart",
            Multipart("""{"name":"mp-big","metadata":{"k":""" + Quote(new string('v', 8192)) + "}}"));
        Assert.Equal(HttpStatusCode.BadRequest, tooMuchMetadata.StatusCode);
    }

    [Fact]
    public async Task RangesBeyondTheEndAre416AndPartialBodiesCarryNoHash()
    {
        var bucket = fixture.NewBucket();
        Emulator.Store.PutObject(bucket, "ten", "0123456789"u8.ToArray());
        var request = new HttpRequestMessage(HttpMethod.Get, $"storage/v1/b/{bucket}/o/ten?alt=media");
        request.Headers.Range = new RangeHeaderValue(2, 4);
        var partial = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal("bytes 2-4/10", partial.Content.Headers.ContentRange!.ToString());
        Assert.Equal("234", await partial.Content.ReadAsStringAsync());
        Assert.False(partial.Headers.Contains("x-goog-hash"));
        Assert.True(partial.Headers.Contains("x-goog-generation"));

        var beyond = new HttpRequestMessage(HttpMethod.Get, $"storage/v1/b/{bucket}/o/ten?alt=media");
        beyond.Headers.Range = new RangeHeaderValue(10, null);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, (await _http.SendAsync(beyond)).StatusCode);

        var whole = await _http.GetAsync($"storage/v1/b/{bucket}/o/ten?alt=media");
        Assert.Equal(2, whole.Headers.GetValues("x-goog-hash").Count());
    }

    [Fact]
    public async Task ListingHonoursOffsetsAndTrailingDelimiters()
    {
        var bucket = fixture.NewBucket();
        foreach (var name in new[] { "a", "b", "c/", "c/x", "d", "e" })
            Emulator.Store.PutObject(bucket, name, [1]);
        async Task<(string[] Items, string[] Prefixes)> List(string query)
        {
            var json = await JsonOf(await _http.GetAsync($"storage/v1/b/{bucket}/o?{query}"));
            var items = json.TryGetProperty("items", out var i) ? i.EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToArray() : [];
            var prefixes = json.TryGetProperty("prefixes", out var p) ? p.EnumerateArray().Select(e => e.GetString()!).ToArray() : [];
            return (items, prefixes);
        }

        Assert.Equal(["b", "c/", "c/x"], (await List("startOffset=b&endOffset=d")).Items);
        var folded = await List("delimiter=/");
        Assert.Equal(["a", "b", "d", "e"], folded.Items);
        Assert.Equal(["c/"], folded.Prefixes);
        var trailing = await List("delimiter=/&includeTrailingDelimiter=true");
        Assert.Equal(["a", "b", "c/", "d", "e"], trailing.Items);
        Assert.Equal(["c/"], trailing.Prefixes);
        Assert.Equal(["c/", "c/x"], (await List("prefix=c/")).Items);
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.GetAsync($"storage/v1/b/{bucket}/o?pageToken=%21%21")).StatusCode);
    }

    [Fact]
    public async Task ComposeConcatenatesWithACrc32cAndNoMd5()
    {
        var bucket = fixture.NewBucket();
        Emulator.Store.PutObject(bucket, "p1", "abc"u8.ToArray());
        var g2 = Emulator.Store.PutObject(bucket, "p2", "def"u8.ToArray());
        var body = """{"sourceObjects":[{"name":"p1"},{"name":"p2","objectPreconditions":{"ifGenerationMatch":""" + Quote(g2.ToString()) + """}}],"destination":{"contentType":"text/plain"}}""";
        var response = await _http.PostAsync($"storage/v1/b/{bucket}/o/whole/compose", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await JsonOf(response);
        Assert.Equal(GcsHash.ToBase64(Crc32C.Compute("abcdef"u8)), json.GetProperty("crc32c").GetString());
        Assert.False(json.TryGetProperty("md5Hash", out _));
        Assert.Equal(2, json.GetProperty("componentCount").GetInt32());
        Assert.True(Emulator.Store.TryGetObject(bucket, "whole", out var stored));
        Assert.Equal("abcdef"u8.ToArray(), stored.Data);

        var stale = body.Replace(g2.ToString(), (g2 + 1).ToString());
        Assert.Equal(HttpStatusCode.PreconditionFailed,
            (await _http.PostAsync($"storage/v1/b/{bucket}/o/whole2/compose", new StringContent(stale, Encoding.UTF8, "application/json"))).StatusCode);
    }

    [Fact]
    public async Task TheRequestCounterCountsByKind()
    {
        var bucket = fixture.NewBucket();
        Emulator.Store.PutObject(bucket, "k", [1]);
        var counter = Emulator.Requests;
        var listsBefore = counter.Count(RequestKind.ListObjects);
        var downloadsBefore = counter.Count(RequestKind.Download);
        var totalBefore = counter.Total;
        await _http.GetAsync($"storage/v1/b/{bucket}/o");
        await _http.GetAsync($"storage/v1/b/{bucket}/o");
        await _http.GetAsync($"storage/v1/b/{bucket}/o/k?alt=media");
        Assert.Equal(2, counter.Count(RequestKind.ListObjects) - listsBefore);
        Assert.Equal(1, counter.Count(RequestKind.Download) - downloadsBefore);
        Assert.True(counter.Total - totalBefore >= 3);
    }

    [Fact]
    public async Task GenerationsAreUniqueAndIncreasing()
    {
        var bucket = fixture.NewBucket();
        var generations = new List<long>();
        for (var i = 0; i < 200; i++)
            generations.Add(Emulator.Store.PutObject(bucket, "same", [(byte)i]));
        var parallel = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => Emulator.Store.PutObject(bucket, $"p{i}", [1]))));
        generations.AddRange(parallel);
        Assert.Equal(generations.Count, generations.Distinct().Count());
        Assert.True(generations.Take(200).Zip(generations.Skip(1).Take(199)).All(p => p.First < p.Second));
    }
}
