using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>The rule for xattr names built from bucket content, and for values that travel as HTTP headers.</summary>
public sealed class XattrNamesTests
{
    [Theory]
    [InlineData("good", "user.octue.tags.good")]
    [InlineData("a1_b2", "user.octue.tags.a1_b2")]
    [InlineData("x\0security.capability", null)]
    [InlineData("Upper", null)]
    [InlineData("trailing_", null)]
    [InlineData("dot.ted", null)]
    [InlineData("", null)]
    public void Only_valid_octue_tag_names_get_an_attribute(string tag, string? expected) =>
        Assert.Equal(expected, XattrNames.ForTag(tag));

    [Fact]
    public void A_tag_name_that_makes_an_attribute_name_over_255_bytes_gets_none() =>
        Assert.Null(XattrNames.ForTag(new string('t', 255 - "user.octue.tags.".Length + 1)));

    [Theory]
    [InlineData("plain", true)]
    [InlineData("Mixed-Case.key with spaces", true)]
    [InlineData("unicode-é-😀", true)]
    [InlineData("k\0trusted.x", false)]
    [InlineData("cr\r", false)]
    [InlineData("lf\n", false)]
    [InlineData("tab\t", false)]
    [InlineData("del\u007f", false)]
    [InlineData("c1\u0085", false)]
    [InlineData("", false)]
    public void Metadata_keys_are_shown_only_as_plain_text(string key, bool shown) =>
        Assert.Equal(shown ? "user.gcs.meta." + key : null, XattrNames.ForMetadataKey(key));

    [Fact]
    public void Unpaired_surrogates_are_not_plain_text()
    {
        // Built at run time: an attribute argument cannot hold an unpaired surrogate (the compiler replaces it).
        Assert.False(XattrNames.IsPlainText("half" + (char)0xD800));
        Assert.False(XattrNames.IsPlainText((char)0xDC00 + "first"));
        Assert.Null(XattrNames.ForMetadataKey("x" + (char)0xD800 + "y"));
        Assert.True(XattrNames.IsPlainText("pair 😀"));
    }

    [Fact]
    public void Printable_escapes_what_would_break_a_log_line_and_keeps_the_rest() =>
        Assert.Equal("a\\u0000b\\u000ac é 😀 \\ud800", XattrNames.Printable("a\0b\nc é 😀 " + (char)0xD800));
}
