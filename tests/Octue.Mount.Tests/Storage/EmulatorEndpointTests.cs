using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Storage;

public sealed class EmulatorEndpointTests
{
    [Theory]
    [InlineData("127.0.0.1:9023")]
    [InlineData("127.0.0.1:9023/")]
    [InlineData("http://127.0.0.1:9023")]
    [InlineData("http://127.0.0.1:9023/")]
    [InlineData("http://127.0.0.1:9023/storage/v1")]
    [InlineData("http://127.0.0.1:9023/storage/v1/")]
    [InlineData("127.0.0.1:9023/storage/v1")]
    [InlineData("127.0.0.1:9023/storage/v1/")]
    [InlineData("  HTTP://127.0.0.1:9023/storage/v1/  ")]
    public void Every_usual_form_becomes_the_client_base_uri(string written)
    {
        Assert.Equal("http://127.0.0.1:9023/storage/v1/", EmulatorEndpoint.Normalize(written));
    }

    [Theory]
    [InlineData("localhost:4443", "http://localhost:4443/storage/v1/")]
    [InlineData("https://gcs.example.test:8443", "https://gcs.example.test:8443/storage/v1/")]
    [InlineData("[::1]:9000", "http://[::1]:9000/storage/v1/")]
    [InlineData("emulator", "http://emulator/storage/v1/")]
    public void Host_names_schemes_and_ipv6_are_kept(string written, string expected)
    {
        Assert.Equal(expected, EmulatorEndpoint.Normalize(written));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("ftp://127.0.0.1:21")]
    [InlineData("http://127.0.0.1:9023/other/path")]
    [InlineData("http://127.0.0.1:9023/?x=1")]
    [InlineData("http://:9023")]
    public void Nonsense_is_refused_with_a_message_naming_it(string written)
    {
        var error = Assert.Throws<ArgumentException>(() => EmulatorEndpoint.Normalize(written));
        Assert.Contains("emulator", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_option_wins_over_the_environment_and_blank_environment_means_production()
    {
        Assert.Equal("http://a:1/storage/v1/", EmulatorEndpoint.Resolve("a:1", _ => "b:2"));
        Assert.Equal("http://b:2/storage/v1/", EmulatorEndpoint.Resolve(null, name => name == "STORAGE_EMULATOR_HOST" ? "b:2" : null));
        Assert.Null(EmulatorEndpoint.Resolve(null, _ => "  "));
        Assert.Null(EmulatorEndpoint.Resolve(null, _ => null));
    }
}
