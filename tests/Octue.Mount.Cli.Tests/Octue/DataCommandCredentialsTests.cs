namespace Octue.Mount.Cli.Tests.Octue;

/// <summary>
/// <c>--credentials FILE</c> on the data verbs: a key file that is missing or not a service-account key is refused with
/// a message naming it, before any request. No emulator is named, so the production path is the one taken; every
/// address a request could go to (Google's APIs through the proxy variables, the metadata server) is a closed local
/// port, so a request that slipped through could never leave the machine.
/// </summary>
public sealed class DataCommandCredentialsTests : IDisposable
{
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "octue-cli-credentials-" + Guid.NewGuid().ToString("N"));

    public DataCommandCredentialsTests()
    {
        Directory.CreateDirectory(_temp);
        File.WriteAllText(Path.Combine(_temp, "data.csv"), "1,2");
    }

    public void Dispose()
    {
        if (Directory.Exists(_temp)) Directory.Delete(_temp, recursive: true);
    }

    private static readonly Dictionary<string, string?> NoCloud = new()
    {
        ["STORAGE_EMULATOR_HOST"] = null,
        ["GOOGLE_APPLICATION_CREDENTIALS"] = null,
        ["HTTPS_PROXY"] = "http://127.0.0.1:9",
        ["HTTP_PROXY"] = "http://127.0.0.1:9",
        ["NO_PROXY"] = null,
        ["GCE_METADATA_HOST"] = "127.0.0.1:9",
    };

    private string[] Verb(string verb, string keyFile) => verb switch
    {
        "upload" => ["upload", Path.Combine(_temp, "data.csv"), "gs://bucket/data.csv", "--credentials", keyFile],
        "download" => ["download", "gs://bucket/data.csv", Path.Combine(_temp, "copy"), "--credentials", keyFile],
        _ => ["info", "gs://bucket/data.csv", "--credentials", keyFile],
    };

    [Theory]
    [InlineData("upload")]
    [InlineData("download")]
    [InlineData("info")]
    public async Task A_missing_key_file_is_refused_naming_it(string verb)
    {
        var keyFile = Path.Combine(_temp, "no-such-key.json");

        var result = await CliRunner.RunAsync(NoCloud, Verb(verb, keyFile));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"error: The credentials file '{keyFile}' does not exist.", result.Stderr.Trim());
        Assert.Equal("", result.Stdout);
        Assert.False(Path.Exists(Path.Combine(_temp, "copy")));
    }

    [Theory]
    [InlineData("upload", "this is not JSON")]
    [InlineData("download", "{\"type\": \"service_account\"}")]
    [InlineData("info", "{\"type\": \"authorized_user\", \"client_id\": \"x\", \"client_secret\": \"y\", \"refresh_token\": \"z\"}")]
    public async Task A_key_file_that_is_not_a_service_account_key_is_refused_naming_it(string verb, string content)
    {
        var keyFile = Path.Combine(_temp, "bad-key.json");
        await File.WriteAllTextAsync(keyFile, content);

        var result = await CliRunner.RunAsync(NoCloud, Verb(verb, keyFile));

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error: The credentials file '{keyFile}' is not a service-account key", result.Stderr.Trim());
        Assert.Equal("", result.Stdout);
        Assert.False(Path.Exists(Path.Combine(_temp, "copy")));
    }
}
