using Octue.Mount.Emulator;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Storage;

/// <summary>One emulator per test class, and stores that talk to it through the real client with short backoffs.</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    private int _buckets;

    public GcsEmulator Emulator { get; private set; } = null!;

    public GcsObjectStore Store { get; private set; } = null!;

    public const int MaxRetries = 4;

    public async Task InitializeAsync()
    {
        Emulator = await GcsEmulator.StartAsync();
        Store = CreateStore();
    }

    public async Task DisposeAsync()
    {
        Store?.Dispose();
        if (Emulator is not null)
        {
            await Emulator.DisposeAsync();
        }
    }

    public GcsObjectStore CreateStore(Func<ObjectStoreOptions, ObjectStoreOptions>? adjust = null)
    {
        var options = new ObjectStoreOptions
        {
            EmulatorHost = Emulator.HostAndPort,
            MaxRetries = MaxRetries,
            InitialBackoff = TimeSpan.FromMilliseconds(5),
            MaxBackoff = TimeSpan.FromMilliseconds(40),
        };
        return GcsObjectStore.Create(adjust is null ? options : adjust(options));
    }

    /// <summary>A fresh bucket, so tests sharing the emulator never see each other's objects or faults.</summary>
    public string NewBucket()
    {
        string name = $"bucket-{Interlocked.Increment(ref _buckets)}-{Guid.NewGuid():N}"[..30];
        Emulator.Store.CreateBucket(name);
        return name;
    }
}
