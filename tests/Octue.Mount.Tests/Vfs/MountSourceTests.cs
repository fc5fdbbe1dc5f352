using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

public sealed class MountSourceTests
{
    [Theory]
    [InlineData("gs://my-bucket", "my-bucket", "")]
    [InlineData("gs://my-bucket/", "my-bucket", "")]
    [InlineData("my-bucket", "my-bucket", "")]
    [InlineData("gs://my-bucket/data/raw", "my-bucket", "data/raw/")]
    [InlineData("gs://my-bucket/data/raw/", "my-bucket", "data/raw/")]
    [InlineData("my-bucket/data", "my-bucket", "data/")]
    [InlineData("https://storage.googleapis.com/my-bucket/a%20b?x=1", "my-bucket", "a b/")]
    public void Parses_buckets_and_prefixes(string source, string bucket, string prefix)
    {
        var parsed = MountSource.Parse(source, null);
        Assert.Equal(MountSourceKind.Bucket, parsed.Kind);
        Assert.Equal(bucket, parsed.Bucket);
        Assert.Equal(prefix, parsed.Prefix);
    }

    [Fact]
    public void A_json_object_is_a_manifest()
    {
        var parsed = MountSource.Parse("gs://b-1/runs/7/manifest.json", null);
        Assert.Equal(MountSourceKind.Manifest, parsed.Kind);
        Assert.Equal("b-1", parsed.Bucket);
        Assert.Equal("runs/7/manifest.json", parsed.ObjectName);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("gs://")]
    public void No_source_with_a_project_mounts_the_project(string? source)
    {
        var parsed = MountSource.Parse(source, "my-project");
        Assert.Equal(MountSourceKind.Project, parsed.Kind);
        Assert.Equal("my-project", parsed.Project);
    }

    [Theory]
    [InlineData("", null, "No source")]
    [InlineData("gs://UPPER", null, "lower-case")]
    [InlineData("gs://ab", null, "3 to 222")]
    [InlineData("s3://bucket", null, "Unsupported source")]
    [InlineData("gs://bucket/a//b", null, "empty, '.' and '..'")]
    [InlineData("gs://bucket/a/../b", null, "empty, '.' and '..'")]
    [InlineData("gs://-bucket", null, "starts and ends")]
    public void Bad_sources_are_refused_with_the_reason(string source, string? project, string reason)
    {
        var e = Assert.Throws<FormatException>(() => MountSource.Parse(source, project));
        Assert.Contains(reason, e.Message);
    }
}
