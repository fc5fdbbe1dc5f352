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
            GcsObjectStore.Create(new ObjectStoreOptions { CredentialsFile = path, EmulatorHost = null }));
        Assert.Contains(path, error.Message);
    }
}
