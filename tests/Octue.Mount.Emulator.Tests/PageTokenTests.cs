namespace Octue.Mount.Emulator.Tests;

/// <summary>Listing page tokens.</summary>
public sealed class PageTokenTests
{
    [Fact]
    public void PageTokensRoundTripAndRejectGarbage()
    {
        var token = new PageToken("dir/ü", LastWasPrefix: true);
        Assert.True(PageToken.TryDecode(token.Encode(), out var decoded));
        Assert.Equal(token, decoded);
        Assert.False(PageToken.TryDecode("!!", out _));
        Assert.False(PageToken.TryDecode("", out _));
    }
}
