using Google.Cloud.Storage.V1;
using Octue.Mount.Emulator;
using Octue.Mount.Storage;
using Xunit;

namespace Octue.Mount.Testing;

/// <summary>
/// One in-process emulator (127.0.0.1, a free port) for a test class or collection; each test takes a bucket of its
/// own, so tests sharing it never see each other's objects or faults. Tests reach it through the real clients: the
/// Google library (<see cref="Client"/>) or a <see cref="GcsObjectStore"/> (<see cref="CreateStore"/>). Test areas
/// that want a store made one particular way derive from it and add that store.
/// </summary>
public class EmulatorFixture : IAsyncLifetime
{
    /// <summary>Retries of a store from <see cref="CreateStore"/>: enough for a fault test to pass, few enough to fail fast.</summary>
    public const int MaxRetries = 4;

    private int _buckets;
    private StorageClient? _client;

    public GcsEmulator Emulator { get; private set; } = null!;

    /// <summary>The Google client library, talking HTTP to the emulator.</summary>
    public StorageClient Client => _client ??= CreateClient(Emulator);

    public virtual async Task InitializeAsync() => Emulator = await GcsEmulator.StartAsync();

    public virtual async Task DisposeAsync()
    {
        _client?.Dispose();
        if (Emulator is not null)
        {
            await Emulator.DisposeAsync();
        }
    }

    /// <summary>Creates a bucket no other test uses: <paramref name="hint"/> (lower case, for the reader of a failure), a counter and a random part.</summary>
    public string NewBucket(string hint = "bucket")
    {
        var name = $"{hint[..Math.Min(hint.Length, 24)]}-{Interlocked.Increment(ref _buckets)}-{Guid.NewGuid().ToString("N")[..12]}";
        Emulator.Store.CreateBucket(name);
        return name;
    }

    /// <summary>A store talking HTTP to the emulator with short backoffs and <see cref="MaxRetries"/> retries; <paramref name="adjust"/> may replace those options.</summary>
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

    /// <summary>The Google client library for <paramref name="emulator"/> (for tests that start an emulator of their own).</summary>
    public static StorageClient CreateClient(GcsEmulator emulator) => new StorageClientBuilder
    {
        BaseUri = emulator.Endpoint + "storage/v1/",
        UnauthenticatedAccess = true,
    }.Build();
}
