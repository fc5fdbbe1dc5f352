using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Google.Apis.Auth.OAuth2;
using Google.Cloud.Storage.V1;
using Octue.Mount.Integrity;

namespace Octue.Mount.Emulator.Tests;

/// <summary>
/// Object reads by the XML API's path (<c>GET|HEAD /BUCKET/OBJECT?generation=G</c> with <c>Range</c>), as Go's client
/// library reads every object: raw HTTP, and a URL signed by the .NET client's <see cref="UrlSigner"/> (the one place
/// the .NET library speaks the XML API).
/// </summary>
public sealed class XmlApiReadTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>, IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = fixture.Emulator.Endpoint };

    private GcsEmulator Emulator => fixture.Emulator;

    public void Dispose() => _http.Dispose();

    private static byte[] Bytes(int count)
    {
        var data = new byte[count];
        new Random(count).NextBytes(data);
        return data;
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(",", contentValues)
        : throw new Xunit.Sdk.XunitException($"no {name} header");

    private static string ExpectedHash(byte[] data) =>
        $"crc32c={GcsHash.ToBase64(Crc32C.Compute(data))},md5={Convert.ToBase64String(MD5.HashData(data))}";

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string target, string? range = null, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, target);
        if (range is not null)
            request.Headers.Range = RangeHeaderValue.Parse(range);
        foreach (var (name, value) in headers)
            request.Headers.Add(name, value);
        return await _http.SendAsync(request);
    }

    [Fact]
    public async Task RangedGetOfAGenerationAnswers206WithTheHeadersCloudStorageSends()
    {
        var bucket = fixture.NewBucket();
        var data = Bytes(100_000);
        var generation = Emulator.Store.PutObject(bucket, "dir/data.bin", data, contentType: "application/x-test");

        var response = await SendAsync(HttpMethod.Get, $"{bucket}/dir/data.bin?generation={generation}", "bytes=1000-1999");

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(data.AsSpan(1000, 1000).ToArray(), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("bytes 1000-1999/100000", Header(response, "Content-Range"));
        Assert.Equal("1000", Header(response, "Content-Length"));
        Assert.Equal(generation.ToString(CultureInfo.InvariantCulture), Header(response, "x-goog-generation"));
        Assert.Equal("1", Header(response, "x-goog-metageneration"));
        Assert.Equal("100000", Header(response, "x-goog-stored-content-length"));
        Assert.Equal("identity", Header(response, "x-goog-stored-content-encoding"));
        // The whole object's hashes, as Cloud Storage sends them on a 206 too (Go's client checks them on a 200 only).
        Assert.Equal(ExpectedHash(data), Header(response, "x-goog-hash"));
        Assert.Equal("application/x-test", Header(response, "Content-Type"));
    }

    [Fact]
    public async Task WholeGetSuffixRangeOpenRangeAndHeadAreServed()
    {
        var bucket = fixture.NewBucket();
        var data = Bytes(5000);
        Emulator.Store.PutObject(bucket, "o", data);

        var whole = await SendAsync(HttpMethod.Get, $"{bucket}/o");
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(data, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal(ExpectedHash(data), Header(whole, "x-goog-hash"));
        Assert.False(whole.Content.Headers.Contains("Content-Range"));

        var suffix = await SendAsync(HttpMethod.Get, $"{bucket}/o", "bytes=-10");
        Assert.Equal(HttpStatusCode.PartialContent, suffix.StatusCode);
        Assert.Equal("bytes 4990-4999/5000", Header(suffix, "Content-Range"));
        Assert.Equal(data[^10..], await suffix.Content.ReadAsByteArrayAsync());

        var open = await SendAsync(HttpMethod.Get, $"{bucket}/o", "bytes=4000-");
        Assert.Equal("bytes 4000-4999/5000", Header(open, "Content-Range"));
        Assert.Equal(data[4000..], await open.Content.ReadAsByteArrayAsync());

        var head = await SendAsync(HttpMethod.Head, $"{bucket}/o");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("5000", Header(head, "Content-Length"));
        Assert.Equal("5000", Header(head, "x-goog-stored-content-length"));
        Assert.Equal(ExpectedHash(data), Header(head, "x-goog-hash"));
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());

        var rangedHead = await SendAsync(HttpMethod.Head, $"{bucket}/o", "bytes=0-99");
        Assert.Equal(HttpStatusCode.PartialContent, rangedHead.StatusCode);
        Assert.Equal("bytes 0-99/5000", Header(rangedHead, "Content-Range"));
        Assert.Equal("100", Header(rangedHead, "Content-Length"));
    }

    [Fact]
    public async Task ObjectNamesKeepTheirSlashesEscapesAndTrailingSlash()
    {
        var bucket = fixture.NewBucket();
        Emulator.Store.PutObject(bucket, "a b/ü+%/x.txt", "spaced"u8.ToArray());
        Emulator.Store.PutObject(bucket, "folder/", []);
        Emulator.Store.PutObject(bucket, "a//b", "double"u8.ToArray());

        var escaped = await SendAsync(HttpMethod.Get, $"{bucket}/a%20b/%C3%BC%2B%25/x.txt");
        Assert.Equal("spaced", await escaped.Content.ReadAsStringAsync());
        var slashEscaped = await SendAsync(HttpMethod.Get, $"{bucket}/a%20b%2F%C3%BC%2B%25%2Fx.txt");
        Assert.Equal("spaced", await slashEscaped.Content.ReadAsStringAsync());
        var placeholder = await SendAsync(HttpMethod.Get, $"{bucket}/folder/");
        Assert.Equal(HttpStatusCode.OK, placeholder.StatusCode);
        Assert.Equal("0", Header(placeholder, "x-goog-stored-content-length"));
        var doubled = await SendAsync(HttpMethod.Get, $"{bucket}/a//b");
        Assert.Equal("double", await doubled.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task MissingObjectBucketOrGenerationIs404WithAnXmlError()
    {
        var bucket = fixture.NewBucket();
        var generation = Emulator.Store.PutObject(bucket, "here", "x"u8.ToArray());

        var missing = await SendAsync(HttpMethod.Get, $"{bucket}/not-here", "bytes=0-9");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.StartsWith("application/xml", Header(missing, "Content-Type"));
        Assert.Contains("<Code>NoSuchKey</Code>", await missing.Content.ReadAsStringAsync());

        var noBucket = await SendAsync(HttpMethod.Get, "no-such-bucket-xml/here");
        Assert.Equal(HttpStatusCode.NotFound, noBucket.StatusCode);
        Assert.Contains("<Code>NoSuchBucket</Code>", await noBucket.Content.ReadAsStringAsync());

        var oldGeneration = await SendAsync(HttpMethod.Get, $"{bucket}/here?generation={generation - 1}");
        Assert.Equal(HttpStatusCode.NotFound, oldGeneration.StatusCode);
        var headMissing = await SendAsync(HttpMethod.Head, $"{bucket}/not-here");
        Assert.Equal(HttpStatusCode.NotFound, headMissing.StatusCode);
        Assert.Empty(await headMissing.Content.ReadAsByteArrayAsync());

        // generation=0 is the live object (the selector's unset value), as on the JSON API.
        var live = await SendAsync(HttpMethod.Get, $"{bucket}/here?generation=0");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("x", await live.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PreconditionHeadersAnswer412AndARangePastTheEnd416()
    {
        var bucket = fixture.NewBucket();
        var generation = Emulator.Store.PutObject(bucket, "p", Bytes(10));
        var g = generation.ToString(CultureInfo.InvariantCulture);

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, $"{bucket}/p", null, ("x-goog-if-generation-match", g))).StatusCode);
        var wrongGeneration = await SendAsync(HttpMethod.Get, $"{bucket}/p", "bytes=0-1", ("x-goog-if-generation-match", "1"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, wrongGeneration.StatusCode);
        Assert.Contains("<Code>PreconditionFailed</Code>", await wrongGeneration.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.PreconditionFailed,
            (await SendAsync(HttpMethod.Get, $"{bucket}/p", null, ("x-goog-if-metageneration-match", "2"))).StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed,
            (await SendAsync(HttpMethod.Head, $"{bucket}/p", null, ("x-goog-if-generation-not-match", g))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await SendAsync(HttpMethod.Get, $"{bucket}/p", null, ("x-goog-if-generation-match", "soon"))).StatusCode);

        var past = await SendAsync(HttpMethod.Get, $"{bucket}/p", "bytes=10-20");
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, past.StatusCode);
        Assert.Equal("bytes */10", Header(past, "Content-Range"));
        Assert.Contains("<Code>InvalidRange</Code>", await past.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheXmlPathDoesNotShadowTheJsonApiOrTheControlEndpoint()
    {
        var bucket = fixture.NewBucket();
        Emulator.Store.PutObject(bucket, "j", "json"u8.ToArray());

        var metadata = await _http.GetAsync($"storage/v1/b/{bucket}/o/j");
        Assert.StartsWith("application/json", Header(metadata, "Content-Type"));
        Assert.Contains("\"storage#object\"", await metadata.Content.ReadAsStringAsync());
        Assert.Equal("json", await (await _http.GetAsync($"download/storage/v1/b/{bucket}/o/j?alt=media")).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("emulator/v1/requests")).StatusCode);
        // Under the control endpoint's root nothing is read as an object, whatever its depth.
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("emulator/v1/requests/extra")).StatusCode);
        Assert.Contains("No such endpoint", await (await _http.GetAsync("emulator/v1/requests/extra")).Content.ReadAsStringAsync());

        // A bucket named like a JSON root is still readable by this path outside the JSON API's own prefixes.
        if (!Emulator.Store.BucketExists("storage"))
            Emulator.Store.CreateBucket("storage");
        Emulator.Store.PutObject("storage", "plain", "by xml"u8.ToArray());
        Assert.Equal("by xml", await (await _http.GetAsync("storage/plain")).Content.ReadAsStringAsync());
        // Writes and bucket listings by this path are not served.
        Assert.Equal(HttpStatusCode.NotFound, (await _http.PutAsync($"{bucket}/j", new ByteArrayContent([1]))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"{bucket}")).StatusCode);
    }

    [Fact]
    public async Task XmlReadsAreCountedAsDownloadsAndTakeMediaFaults()
    {
        var bucket = fixture.NewBucket();
        var data = Bytes(4096);
        Emulator.Store.PutObject(bucket, "f", data);
        var before = Emulator.Requests.Count(RequestKind.Download);
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.CorruptMedia, Bucket = bucket, RequestKind = RequestKind.Download, AfterBytes = 7 });

        var corrupted = await (await SendAsync(HttpMethod.Get, $"{bucket}/f")).Content.ReadAsByteArrayAsync();
        Assert.NotEqual(data, corrupted);
        Assert.Equal(data[8..], corrupted[8..]);
        Assert.Equal(data, await (await SendAsync(HttpMethod.Get, $"{bucket}/f")).Content.ReadAsByteArrayAsync());
        Assert.Equal(before + 2, Emulator.Requests.Count(RequestKind.Download));
    }

    [Fact]
    public async Task AUrlSignedByTheDotNetClientReadsThroughTheXmlPath()
    {
        var bucket = fixture.NewBucket();
        var data = Bytes(3000);
        var generation = Emulator.Store.PutObject(bucket, "signed/o.bin", data);
        // A service account made up here: signing is local RSA work, and nothing is sent to Google.
        using var rsa = RSA.Create(2048);
        var credential = new ServiceAccountCredential(new ServiceAccountCredential.Initializer("emulator-test@example.iam.gserviceaccount.com")
        {
            Key = rsa,
        });
        var signer = UrlSigner.FromCredential(credential);
        var options = UrlSigner.Options.FromDuration(TimeSpan.FromMinutes(5))
            .WithScheme("http")
            .WithHost(Emulator.Endpoint.Authority);
        var template = UrlSigner.RequestTemplate.FromBucket(bucket).WithObjectName("signed/o.bin")
            .WithQueryParameters(new Dictionary<string, IEnumerable<string>> { ["generation"] = [generation.ToString(CultureInfo.InvariantCulture)] });
        var url = await signer.SignAsync(template, options);
        Assert.StartsWith($"http://{Emulator.Endpoint.Authority}/{bucket}/signed/o.bin?", url);

        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new RangeHeaderValue(100, 199);
        var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(data[100..200], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(generation.ToString(CultureInfo.InvariantCulture), Header(response, "x-goog-generation"));
        Assert.Equal(Encoding.ASCII.GetBytes("bytes 100-199/3000"), Encoding.ASCII.GetBytes(Header(response, "Content-Range")));
    }
}
