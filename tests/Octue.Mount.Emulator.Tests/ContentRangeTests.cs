namespace Octue.Mount.Emulator.Tests;

/// <summary>The Content-Range header of a resumable upload chunk or status query.</summary>
public sealed class ContentRangeTests
{
    [Fact]
    public void ContentRangesOfResumableUploadsParse()
    {
        Assert.Equal(new ContentRange(0, 99, 1000), ContentRange.Parse("bytes 0-99/1000"));
        Assert.Equal(new ContentRange(100, 199, null), ContentRange.Parse("bytes 100-199/*"));
        Assert.Equal(new ContentRange(5, null, null), ContentRange.Parse("bytes 5-*/*"));
        Assert.True(ContentRange.Parse("bytes */1000").IsStatusQuery);
        Assert.Equal(1000, ContentRange.Parse("bytes */1000").Total);
        Assert.True(ContentRange.Parse("bytes */*").IsStatusQuery);
        var e = Assert.Throws<GcsException>(() => ContentRange.Parse("bytes 9-1/10"));
        Assert.Equal(400, e.StatusCode);
        Assert.Throws<GcsException>(() => ContentRange.Parse("0-1/2"));
    }
}
