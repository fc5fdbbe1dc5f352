using System.Globalization;
using System.Net;
using System.Text;

namespace Octue.Mount.Emulator.Tests;

/// <summary>
/// The <c>generation</c> selector means the same on every endpoint: absent or 0 selects the live object, the live
/// generation selects it too, and any other generation finds nothing (404), because only the live revision is kept.
/// </summary>
public sealed class GenerationSelectorTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>, IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = fixture.Emulator.Endpoint };

    private GcsEmulator Emulator => fixture.Emulator;

    public void Dispose() => _http.Dispose();

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>A fresh object; returns its bucket and its live generation, and a generation that is not live.</summary>
    private (string Bucket, string Live, string Stale) NewObject(string name)
    {
        var bucket = fixture.NewBucket();
        var live = Emulator.Store.PutObject(bucket, name, "content"u8.ToArray());
        return (bucket, live.ToString(CultureInfo.InvariantCulture), (live - 1).ToString(CultureInfo.InvariantCulture));
    }

    public static TheoryData<string> Selectors => new() { "0", "LIVE" };

    private static string Pick(string selector, string live) => selector == "LIVE" ? live : selector;

    [Theory]
    [MemberData(nameof(Selectors))]
    public async Task GetMetadataSelectsTheLiveObject(string selector)
    {
        var (bucket, live, stale) = NewObject("g");
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync($"storage/v1/b/{bucket}/o/g?generation={Pick(selector, live)}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"storage/v1/b/{bucket}/o/g?generation={stale}")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Selectors))]
    public async Task MediaGetSelectsTheLiveObject(string selector)
    {
        var (bucket, live, stale) = NewObject("m");
        var response = await _http.GetAsync($"download/storage/v1/b/{bucket}/o/m?alt=media&generation={Pick(selector, live)}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("content", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"storage/v1/b/{bucket}/o/m?alt=media&generation={stale}")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Selectors))]
    public async Task DeleteSelectsTheLiveObject(string selector)
    {
        var (bucket, live, stale) = NewObject("d");
        Assert.Equal(HttpStatusCode.NotFound, (await _http.DeleteAsync($"storage/v1/b/{bucket}/o/d?generation={stale}")).StatusCode);
        Assert.True(Emulator.Store.TryGetObject(bucket, "d", out _));
        Assert.Equal(HttpStatusCode.NoContent, (await _http.DeleteAsync($"storage/v1/b/{bucket}/o/d?generation={Pick(selector, live)}")).StatusCode);
        Assert.False(Emulator.Store.TryGetObject(bucket, "d", out _));
    }

    [Theory]
    [MemberData(nameof(Selectors))]
    public async Task PatchSelectsTheLiveObjectAndAStaleGenerationChangesNothing(string selector)
    {
        var (bucket, live, stale) = NewObject("p");
        var refused = await _http.PatchAsync($"storage/v1/b/{bucket}/o/p?generation={stale}", Json("""{"metadata":{"k":"stale"}}"""));
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.True(Emulator.Store.TryGetObject(bucket, "p", out var unchanged));
        Assert.Equal(1, unchanged.Metageneration);
        Assert.False(unchanged.Metadata.ContainsKey("k"));

        var patched = await _http.PatchAsync($"storage/v1/b/{bucket}/o/p?generation={Pick(selector, live)}", Json("""{"metadata":{"k":"v"}}"""));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.True(Emulator.Store.TryGetObject(bucket, "p", out var changed));
        Assert.Equal("v", changed.Metadata["k"]);
    }

    [Theory]
    [MemberData(nameof(Selectors))]
    public async Task UpdateSelectsTheLiveObjectAndAStaleGenerationChangesNothing(string selector)
    {
        var (bucket, live, stale) = NewObject("u");
        Assert.Equal(HttpStatusCode.NotFound,
            (await _http.PutAsync($"storage/v1/b/{bucket}/o/u?generation={stale}", Json("""{"contentType":"text/stale"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK,
            (await _http.PutAsync($"storage/v1/b/{bucket}/o/u?generation={Pick(selector, live)}", Json("""{"contentType":"text/live"}"""))).StatusCode);
        Assert.True(Emulator.Store.TryGetObject(bucket, "u", out var updated));
        Assert.Equal("text/live", updated.ContentType);
    }

    [Theory]
    [MemberData(nameof(Selectors))]
    public async Task CopyAndRewriteSelectTheLiveSource(string selector)
    {
        var (bucket, live, stale) = NewObject("s");
        var generation = Pick(selector, live);
        Assert.Equal(HttpStatusCode.OK,
            (await _http.PostAsync($"storage/v1/b/{bucket}/o/s/copyTo/b/{bucket}/o/copied?sourceGeneration={generation}", Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK,
            (await _http.PostAsync($"storage/v1/b/{bucket}/o/s/rewriteTo/b/{bucket}/o/rewritten?sourceGeneration={generation}", Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound,
            (await _http.PostAsync($"storage/v1/b/{bucket}/o/s/copyTo/b/{bucket}/o/never?sourceGeneration={stale}", Json("{}"))).StatusCode);
        Assert.True(Emulator.Store.TryGetObject(bucket, "copied", out _));
        Assert.True(Emulator.Store.TryGetObject(bucket, "rewritten", out _));
        Assert.False(Emulator.Store.TryGetObject(bucket, "never", out _));
    }

    [Theory]
    [MemberData(nameof(Selectors))]
    public async Task ComposeSelectsTheLiveSource(string selector)
    {
        var (bucket, live, stale) = NewObject("c");
        var composed = await _http.PostAsync($"storage/v1/b/{bucket}/o/whole/compose",
            Json($$"""{"sourceObjects":[{"name":"c","generation":"{{Pick(selector, live)}}"},{"name":"c"}]}"""));
        Assert.Equal(HttpStatusCode.OK, composed.StatusCode);
        Assert.True(Emulator.Store.TryGetObject(bucket, "whole", out var whole));
        Assert.Equal("contentcontent", Encoding.UTF8.GetString(whole.Data));
        Assert.Equal(HttpStatusCode.NotFound, (await _http.PostAsync($"storage/v1/b/{bucket}/o/never/compose",
            Json($$"""{"sourceObjects":[{"name":"c","generation":"{{stale}}"}]}"""))).StatusCode);
    }

    [Fact]
    public async Task IfGenerationMatchZeroStillMeansTheObjectMustNotExist()
    {
        var (bucket, _, _) = NewObject("exists");
        var refused = await _http.DeleteAsync($"storage/v1/b/{bucket}/o/exists?ifGenerationMatch=0");
        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
        Assert.True(Emulator.Store.TryGetObject(bucket, "exists", out _));
    }
}
