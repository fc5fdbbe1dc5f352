using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Google.Cloud.Storage.V1;
using Octue.Mount.Emulator;
using Octue.Mount.Storage;

namespace Octue.Mount.Benchmarks;

/// <summary>
/// Whole-object transfers through <see cref="GcsObjectStore"/> (hashes computed, sent and verified) against the
/// same transfer through Google's <see cref="StorageClient"/> directly (its defaults), both over HTTP to the
/// in-process emulator. The ratio is the cost of the store's integrity and retry machinery.
///   dotnet run -c Release --project bench/Octue.Mount.Benchmarks -- --filter '*TransferBenchmarks*'
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class TransferBenchmarks
{
    private const string Bucket = "bench";
    private const string Name = "object.bin";

    private GcsEmulator _emulator = null!;
    private GcsObjectStore _store = null!;
    private StorageClient _client = null!;
    private byte[] _data = [];

    [Params(64 << 20)]
    public int Size { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _emulator = await GcsEmulator.StartAsync();
        _emulator.Store.CreateBucket(Bucket);
        _data = new byte[Size];
        new Random(5).NextBytes(_data);
        _emulator.Store.PutObject(Bucket, Name, _data);
        _store = GcsObjectStore.Create(new ObjectStoreOptions { EmulatorHost = _emulator.HostAndPort });
        _client = new StorageClientBuilder { BaseUri = EmulatorEndpoint.Normalize(_emulator.HostAndPort), UnauthenticatedAccess = true }.Build();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _client.Dispose();
        _store.Dispose();
        await _emulator.DisposeAsync();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("download")]
    public Task DirectClientDownload() => _client.DownloadObjectAsync(Bucket, Name, Stream.Null);

    [Benchmark, BenchmarkCategory("download")]
    public async Task StoreDownload()
    {
        await using Stream stream = await _store.OpenReadAsync(Bucket, Name);
        await stream.CopyToAsync(Stream.Null, 1 << 20);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("upload")]
    public Task DirectClientUpload() => _client.UploadObjectAsync(Bucket, "direct-upload.bin", null, new MemoryStream(_data, writable: false));

    [Benchmark, BenchmarkCategory("upload")]
    public Task StoreUpload() => _store.UploadAsync(Bucket, "store-upload.bin", new MemoryStream(_data, writable: false));
}
