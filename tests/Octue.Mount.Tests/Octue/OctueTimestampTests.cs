using global::Octue.Mount.Octue;

namespace Octue.Mount.Tests.Octue;

public sealed class OctueTimestampTests
{
    [Theory]
    [InlineData("2021-03-08T19:39:21.123456+00:00", "2021-03-08T19:39:21.123456+00:00")]
    [InlineData(" 2021-03-08T21:39:21+02:00 ", "2021-03-08T19:39:21+00:00")]
    [InlineData("2021-03-08 19:39:21.1234567", "2021-03-08T19:39:21.123456+00:00")]
    public void Date_text_is_read_as_utc_to_the_microsecond(string text, string expected) =>
        Assert.Equal(expected, OctueTimestamp.ToIsoString(OctueTimestamp.FromDateText(text)!.Value));

    [Theory]
    [InlineData("not a date")]
    [InlineData("")]
    [InlineData("1615232361.5")]
    public void Date_text_refuses_anything_else_posix_seconds_included(string text) =>
        Assert.Null(OctueTimestamp.FromDateText(text));

    [Fact]
    public void Stored_text_also_takes_posix_seconds() =>
        Assert.Equal("2021-03-08T19:39:21.500000+00:00",
            OctueTimestamp.ToIsoString(OctueTimestamp.FromText("1615232361.5")!.Value));
}
