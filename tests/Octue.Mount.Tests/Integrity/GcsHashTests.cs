using System.Text;
using Octue.Mount.Integrity;

namespace Octue.Mount.Tests.Integrity;

public sealed class GcsHashTests
{
    [Theory]
    [InlineData("6NMauw==", 0xE8D31ABBu)]
    [InlineData("AAAAAA==", 0u)]
    public void Crc32c_base64_is_the_big_endian_bytes(string base64, uint value)
    {
        Assert.Equal(value, GcsHash.ParseCrc32c(base64));
        Assert.Equal(base64, GcsHash.ToBase64(value));
    }

    [Fact]
    public void Crc32c_round_trips_through_base64()
    {
        foreach (uint value in new uint[] { 0, 1, 0xE3069283, 0xFFFFFFFF, 0x80000000 })
        {
            Assert.Equal(value, GcsHash.ParseCrc32c(GcsHash.ToBase64(value)));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("AAAA")]
    [InlineData("AAAAAAAA")]
    [InlineData("not base64!")]
    public void Bad_crc32c_text_is_a_format_error_naming_the_value(string text)
    {
        var error = Assert.Throws<FormatException>(() => GcsHash.ParseCrc32c(text));
        Assert.Contains($"'{text}'", error.Message);
    }

    [Fact]
    public void Md5_matches_the_gcs_form()
    {
        // MD5("hello") in GCS's base64 form, as md5sum gives it.
        byte[] md5 = GcsHash.ComputeMd5(Encoding.UTF8.GetBytes("hello"));
        Assert.Equal("XUFAKrxLKna5cZ2REBfFkg==", GcsHash.ToBase64(md5));
        Assert.Equal(md5, GcsHash.ParseMd5("XUFAKrxLKna5cZ2REBfFkg=="));
        Assert.Throws<FormatException>(() => GcsHash.ParseMd5("AAAAAA=="));
        Assert.Throws<FormatException>(() => GcsHash.ParseMd5("%%%"));
    }

    [Fact]
    public void Content_hasher_gives_both_hashes_of_pieces()
    {
        byte[] data = Encoding.UTF8.GetBytes("This is a test upload.");
        using var hasher = new ContentHasher();
        hasher.Append(data.AsSpan(0, 5));
        hasher.Append(data.AsSpan(5));
        Assert.Equal("1mmhsg==", GcsHash.ToBase64(hasher.Crc32c));
        Assert.Equal(GcsHash.ComputeMd5(data), hasher.GetMd5());
        Assert.Equal(data.Length, hasher.Length);
    }
}
