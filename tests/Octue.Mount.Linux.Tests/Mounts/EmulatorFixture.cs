using Octue.Mount.Emulator;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>One emulator for all mount tests (each test uses its own bucket). It runs in the test process; the mounts do not.</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    private int _buckets;

    public GcsEmulator Emulator { get; private set; } = null!;

    public async Task InitializeAsync() => Emulator = await GcsEmulator.StartAsync();

    public async Task DisposeAsync() => await Emulator.DisposeAsync();

    /// <summary>Creates a bucket no other test uses.</summary>
    public string NewBucket(string hint)
    {
        var full = $"{hint}-{Interlocked.Increment(ref _buckets)}-{Guid.NewGuid():N}";
        var name = full[..Math.Min(40, full.Length)];
        Emulator.Store.CreateBucket(name);
        return name;
    }
}

/// <summary>Mount tests run one at a time: each drives real tools against a real mount, and the machine is small.</summary>
[CollectionDefinition(Name)]
public sealed class MountCollection : ICollectionFixture<EmulatorFixture>
{
    public const string Name = "Real mounts";
}
