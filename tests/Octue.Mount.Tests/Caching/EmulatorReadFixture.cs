using Octue.Mount.Emulator;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Caching;

/// <summary>
/// One emulator for the read-path tests, holding one 256 MiB object generated once (the sequential and the random
/// test share it, so the suite holds a single copy of it in memory).
/// </summary>
public sealed class EmulatorReadFixture : EmulatorFixture
{
    public const string Bucket = "read-path";
    public const string LargeName = "large/object.bin";
    public const int LargeSize = 256 * 1024 * 1024;

    public IObjectStore Store { get; private set; } = null!;
    public byte[] LargeData { get; private set; } = null!;
    public ObjectInfo Large { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Emulator.Store.CreateBucket(Bucket);
        Store = GcsObjectStore.Create(new ObjectStoreOptions { EmulatorHost = Emulator.HostAndPort });
        LargeData = PatternData.Create(LargeSize, seed: 256);
        Emulator.Store.PutObject(Bucket, LargeName, LargeData);
        Large = (await Store.StatAsync(Bucket, LargeName))!;
    }

    /// <summary>Puts an object through the emulator's in-process API and returns its metadata as GCS reports it.</summary>
    public async Task<ObjectInfo> PutAsync(string name, byte[] data)
    {
        Emulator.Store.PutObject(Bucket, name, data);
        return (await Store.StatAsync(Bucket, name))!;
    }

    public override async Task DisposeAsync()
    {
        if (Store is IDisposable disposable)
        {
            disposable.Dispose();
        }
        await base.DisposeAsync();
    }
}
