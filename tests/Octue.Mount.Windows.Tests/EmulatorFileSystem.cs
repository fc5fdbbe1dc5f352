using Octue.Mount.Emulator;
using Octue.Mount.Storage;
using Octue.Mount.Vfs;

namespace Octue.Mount.Windows.Tests;

/// <summary>
/// The real stack under the adapter: <see cref="OctueFileSystem"/> over <see cref="GcsObjectStore"/> talking HTTP to
/// the emulator, on a fresh bucket and cache folder, driven through <see cref="NativeHarness"/>.
/// </summary>
internal sealed class EmulatorFileSystem : IAsyncDisposable
{
    private readonly DirectoryInfo _cache;

    private EmulatorFileSystem(GcsEmulator emulator, string bucket, DirectoryInfo cache, OctueFileSystem fs, NativeHarness harness)
    {
        Emulator = emulator;
        Bucket = bucket;
        _cache = cache;
        FileSystem = fs;
        Native = harness;
    }

    public GcsEmulator Emulator { get; }
    public string Bucket { get; }
    public OctueFileSystem FileSystem { get; }
    public NativeHarness Native { get; }

    /// <param name="emulator">The emulator holding the bucket.</param>
    /// <param name="wrap">Puts something between the adapter and the file system (a call counter), or null.</param>
    public static async Task<EmulatorFileSystem> StartAsync(GcsEmulator emulator, Func<IFileSystem, IFileSystem>? wrap = null)
    {
        string bucket = "winfsp-" + Guid.NewGuid().ToString("N")[..12];
        emulator.Store.CreateBucket(bucket);
        DirectoryInfo cache = Directory.CreateTempSubdirectory("octue-winfsp-tests-");
        try
        {
            IObjectStore store = GcsObjectStore.Create(new ObjectStoreOptions { EmulatorHost = emulator.HostAndPort, MaxRetries = 1 });
            var options = new FileSystemOptions
            {
                Source = MountSource.Parse($"gs://{bucket}", null),
                CacheDirectory = cache.FullName,
                MetadataTtl = TimeSpan.Zero,
            };
            OctueFileSystem fs = await OctueFileSystem.CreateAsync(options, store);
            return new EmulatorFileSystem(emulator, bucket, cache, fs, new NativeHarness(wrap is null ? fs : wrap(fs)));
        }
        catch
        {
            cache.Delete(recursive: true);
            throw;
        }
    }

    public void Put(string name, byte[] data, IDictionary<string, string>? metadata = null) =>
        Emulator.Store.PutObject(Bucket, name, data, metadata);

    public byte[]? Get(string name) => Emulator.Store.TryGetObject(Bucket, name, out StoredObject obj) ? obj.Data : null;

    public IReadOnlyDictionary<string, string> MetadataOf(string name) =>
        Emulator.Store.TryGetObject(Bucket, name, out StoredObject obj) ? obj.Metadata : throw new InvalidOperationException($"no object {name}");

    public async ValueTask DisposeAsync()
    {
        Native.Dispose();
        await FileSystem.DisposeAsync();
        _cache.Delete(recursive: true);
    }
}
