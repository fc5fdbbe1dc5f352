using Google.Cloud.Storage.V1;

namespace Octue.Mount.Emulator.Tests;

/// <summary>One emulator per test class, reached through the real .NET client library.</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    public GcsEmulator Emulator { get; private set; } = null!;

    public StorageClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Emulator = await GcsEmulator.StartAsync();
        Client = CreateClient(Emulator);
    }

    public static StorageClient CreateClient(GcsEmulator emulator) => new StorageClientBuilder
    {
        BaseUri = emulator.Endpoint + "storage/v1/",
        UnauthenticatedAccess = true,
    }.Build();

    /// <summary>A fresh bucket for one test, so tests of a class do not see each other's objects.</summary>
    public string NewBucket()
    {
        var name = "b-" + Guid.NewGuid().ToString("N")[..20];
        Emulator.Store.CreateBucket(name);
        return name;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Emulator.DisposeAsync();
    }
}
