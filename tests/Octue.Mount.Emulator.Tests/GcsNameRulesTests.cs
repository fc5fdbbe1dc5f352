namespace Octue.Mount.Emulator.Tests;

/// <summary>The naming rules of GCS for buckets and objects.</summary>
public sealed class GcsNameRulesTests
{
    [Theory]
    [InlineData("", false)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("a\nb", false)]
    [InlineData("./x", true)]
    [InlineData("a//b", true)]
    [InlineData("dir/", true)]
    public void ObjectNamesFollowGcsRules(string name, bool valid) => Assert.Equal(valid, GcsNameRules.CheckObjectName(name) is null);

    [Fact]
    public void ObjectNamesAreLimitedTo1024Utf8Bytes()
    {
        Assert.Null(GcsNameRules.CheckObjectName(new string('é', 512)));
        Assert.NotNull(GcsNameRules.CheckObjectName(new string('é', 513)));
    }

    [Theory]
    [InlineData("my-bucket", true)]
    [InlineData("a.b_c-1", true)]
    [InlineData("ab", false)]
    [InlineData("Upper", false)]
    [InlineData("-start", false)]
    [InlineData("has space", false)]
    public void BucketNamesFollowGcsRules(string name, bool valid) => Assert.Equal(valid, GcsNameRules.CheckBucketName(name) is null);
}
