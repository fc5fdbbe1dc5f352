using global::Octue.Mount.Octue;

namespace Octue.Mount.Tests.Octue;

public sealed class CloudPathTests
{
    [Theory]
    [InlineData("gs://b/", "b", "")]
    [InlineData("gs://b", "b", "")]
    [InlineData("gs://my-bucket/datasets/my-dataset", "my-bucket", "datasets/my-dataset")]
    [InlineData("gs://b//a/./c/../d/", "b", "a/d")]
    [InlineData("https://storage.googleapis.com/b/dir/o%20x.txt?generation=1", "b", "dir/o x.txt")]
    public void Parses(string uri, string bucket, string path)
    {
        var parsed = CloudPath.Parse(uri);
        Assert.Equal(bucket, parsed.Bucket);
        Assert.Equal(path, parsed.Path);
    }

    [Fact]
    public void Joins_and_normalises()
    {
        Assert.Equal("gs://b/out/my-dataset/sub/f.txt", CloudPath.Create("b", "/out/", "my-dataset", "sub//f.txt").ToString());
        Assert.Equal("gs://b/a/c", CloudPath.Parse("gs://b/a/b").Join("..", "c/").ToString());
        Assert.Equal("gs://b", CloudPath.Create("b", "/").ToString());
        Assert.Equal("c", CloudPath.Parse("gs://b/a/c").Name);
        Assert.Equal("gs://b/a", CloudPath.Parse("gs://b/a/c").Parent.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("s3://b/x")]
    [InlineData("/local/path")]
    [InlineData("gs:///x")]
    [InlineData("gs://b/../x")]
    [InlineData("https://example.com/b/x")]
    public void Refuses_bad_paths(string uri)
    {
        Assert.Throws<OctueFormatException>(() => CloudPath.Parse(uri));
        Assert.False(CloudPath.TryParse(uri, out _));
    }
}
