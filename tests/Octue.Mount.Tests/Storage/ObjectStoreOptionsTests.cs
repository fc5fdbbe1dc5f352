using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Storage;

public sealed class ObjectStoreOptionsTests
{
    [Fact]
    public void Bad_options_are_refused_with_the_rule()
    {
        Assert.Contains("256 KiB", Assert.Throws<ArgumentException>(() =>
            GcsObjectStore.Create(new ObjectStoreOptions { EmulatorHost = "127.0.0.1:1", UploadChunkSize = 1000 })).Message);
        Assert.Contains("exclude", Assert.Throws<ArgumentException>(() =>
            GcsObjectStore.Create(new ObjectStoreOptions { Anonymous = true, CredentialsFile = "/nonexistent.json" })).Message);
        Assert.Contains("MaxRetries", Assert.Throws<ArgumentException>(() =>
            GcsObjectStore.Create(new ObjectStoreOptions { EmulatorHost = "127.0.0.1:1", MaxRetries = -1 })).Message);
    }

    [Fact]
    public void An_emulator_address_gives_the_normalised_base_uri()
    {
        using GcsObjectStore store = GcsObjectStore.Create(new ObjectStoreOptions { EmulatorHost = "http://127.0.0.1:9/" });
        Assert.Equal("http://127.0.0.1:9/storage/v1/", store.BaseUri);
    }

    [Fact]
    public void A_missing_key_file_is_a_permission_error_naming_it()
    {
        string path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.json");
        var error = Assert.Throws<PermissionDeniedException>(() =>
            GcsObjectStore.Create(new ObjectStoreOptions { CredentialsFile = path, Environment = _ => null }));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Anonymous_access_talks_to_production_without_credentials()
    {
        using GcsObjectStore store = GcsObjectStore.Create(new ObjectStoreOptions { Anonymous = true, Environment = _ => null });
        Assert.Equal("https://storage.googleapis.com/storage/v1/", store.BaseUri);
    }

    [Theory]
    [InlineData("127.0.0.1:4443")]
    [InlineData("http://127.0.0.1:4443")]
    [InlineData("http://127.0.0.1:4443/storage/v1/")]
    public void The_emulator_variable_is_honoured_in_every_form(string value)
    {
        using GcsObjectStore store = GcsObjectStore.Create(new ObjectStoreOptions
        {
            Environment = name => name == "STORAGE_EMULATOR_HOST" ? value : null,
        });
        Assert.Equal("http://127.0.0.1:4443/storage/v1/", store.BaseUri);
    }

    [Fact]
    public void A_file_that_is_not_a_key_is_a_permission_error_naming_it()
    {
        string path = Path.Combine(Path.GetTempPath(), $"not-a-key-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{\"type\": \"authorized_user\"}");
        try
        {
            var error = Assert.Throws<PermissionDeniedException>(() =>
                GcsObjectStore.Create(new ObjectStoreOptions { CredentialsFile = path, Environment = _ => null }));
            Assert.Contains(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
