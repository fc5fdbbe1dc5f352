namespace Octue.Mount.Emulator.Tests;

/// <summary>The Range header of a download, resolved against the object size.</summary>
public sealed class ByteRangeTests
{
    [Theory]
    [InlineData("bytes=0-9", 100, 0, 10)]
    [InlineData("bytes=90-", 100, 90, 10)]
    [InlineData("bytes=90-500", 100, 90, 10)]
    [InlineData("bytes=-5", 100, 95, 5)]
    [InlineData("bytes=-500", 100, 0, 100)]
    public void RangesResolveAgainstTheSize(string header, long size, long offset, long length)
    {
        var range = ByteRange.Parse(header, size, out var satisfiable);
        Assert.True(satisfiable);
        Assert.Equal(new ByteRange(offset, length), range);
    }

    [Theory]
    [InlineData("bytes=100-", 100)]
    [InlineData("bytes=-0", 100)]
    [InlineData("bytes=5-", 0)]
    public void RangesBeyondTheEndAreUnsatisfiable(string header, long size)
    {
        ByteRange.Parse(header, size, out var satisfiable);
        Assert.False(satisfiable);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("bytes=0-1,5-6")]
    [InlineData("items=0-1")]
    public void AbsentOrMultipleRangesMeanTheWholeObject(string? header)
    {
        Assert.Null(ByteRange.Parse(header, 100, out var satisfiable));
        Assert.True(satisfiable);
        Assert.Null(ByteRange.Parse("bytes=0-", 0, out var empty));
        Assert.True(empty);
    }
}
