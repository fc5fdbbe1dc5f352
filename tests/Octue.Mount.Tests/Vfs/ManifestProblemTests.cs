using System.Text;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>A manifest's problems are logged with the reason they really have, and leave the rest of it shown.</summary>
public sealed class ManifestProblemTests : IClassFixture<VfsFixture>
{
    private readonly VfsFixture _fixture;

    public ManifestProblemTests(VfsFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Each_dataset_that_is_not_shown_is_logged_with_its_real_reason()
    {
        var bucket = _fixture.NewBucket("problems");
        _fixture.Put(bucket, "data/ds/file.txt", "shown");
        _fixture.Put(bucket, "manifest.json", $$$"""
            {"id": "dab88335-d739-4899-8eec-13ffdb5921fd", "datasets": {
              "good": "gs://{{{bucket}}}/data/ds",
              "../../etc": "gs://{{{bucket}}}/data/ds",
              "nul\u0000key": "gs://{{{bucket}}}/data/ds",
              "climbs": "gs://{{{bucket}}}/data/../../etc",
              "local": "data/input",
              "listed": {"files": ["gs://{{{bucket}}}/data/ds/file.txt", "gs://{{{bucket}}}"]} }}
            """);
        var log = new CapturedLog();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}/manifest.json", loggerFactory: log);

        Assert.Equal(new[] { "good", "listed" }, await mount.NamesAsync(""));
        Assert.Equal(new[] { bucket }, await mount.NamesAsync("listed")); // no path: files go under BUCKET/OBJECT
        Assert.Contains("names a bucket, not an object", Assert.Single(log.Warnings("'gs://" + bucket + "' of dataset")));
        Assert.Equal("shown", Encoding.UTF8.GetString(await mount.ReadAllAsync("good/file.txt")));

        var dotDot = Assert.Single(log.Warnings("'../../etc'"));
        Assert.Contains("contains '/'", dotDot);
        Assert.DoesNotContain("NUL", dotDot);
        Assert.Contains("contains NUL", Assert.Single(log.Warnings("'nul\0key'")));
        var climbs = Assert.Single(log.Warnings("'climbs'"));
        Assert.Contains($"'gs://{bucket}/data/../../etc' is not valid", climbs);
        Assert.Contains("climbs above the bucket", climbs);
        Assert.DoesNotContain("local path", climbs);
        Assert.Contains("has the local path 'data/input'", Assert.Single(log.Warnings("'local'")));
    }

    [Fact]
    public async Task A_manifest_nested_ten_thousand_levels_deep_is_refused_as_too_deeply_nested()
    {
        var bucket = _fixture.NewBucket("deep");
        var deep = new string('[', 10_000) + new string(']', 10_000);
        _fixture.Put(bucket, "manifest.json", "{\"id\": \"m\", \"datasets\": {\"d\": {\"path\": \"gs://x/y\", \"tags\": {\"t\": " + deep + "}}}}");

        var error = await Assert.ThrowsAnyAsync<FormatException>(() => MountedBucket.CreateAsync(_fixture, $"gs://{bucket}/manifest.json"));

        Assert.Contains($"gs://{bucket}/manifest.json", error.Message);
        Assert.Contains("nested too deeply", error.Message);
        Assert.Contains("64", error.Message);
    }

    [Theory]
    [InlineData("gs://b/../escape.txt", "climbs above the bucket")]
    [InlineData("s3://elsewhere/x", "gs://bucket/path")]
    [InlineData("gs:///x", "bucket name is missing")]
    public void A_files_list_entry_that_is_not_a_cloud_location_is_refused_with_its_real_reason(string entry, string reason)
    {
        var error = Assert.Throws<global::Octue.Mount.Octue.OctueFormatException>(() =>
            global::Octue.Mount.Octue.ManifestDocument.Parse("{\"id\": \"m\", \"datasets\": {\"d\": {\"files\": [\"" + entry + "\"]}}}"));
        Assert.Contains(entry, error.Message);
        Assert.Contains(reason, error.Rule);
        Assert.DoesNotContain("is not a gs:// URI", error.Rule);
    }
}

