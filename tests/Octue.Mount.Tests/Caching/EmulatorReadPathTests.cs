using Octue.Mount.Caching;
using Octue.Mount.Emulator;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Caching;

/// <summary>The read path end to end: ObjectReader → GcsObjectStore → HTTP → the emulator.</summary>
[Collection(LargeObjectCollection.Name)]
public sealed class EmulatorReadPathTests : IDisposable
{
    private const int SmallChunk = 1024 * 1024;
    private readonly EmulatorReadFixture _fixture;
    private readonly TempDirectory _cacheFolder = new();

    public EmulatorReadPathTests(EmulatorReadFixture fixture)
    {
        _fixture = fixture;
        _fixture.Emulator.Faults.Clear();
    }

    public void Dispose() => _cacheFolder.Dispose();

    private ReadOptions Options(int chunkSize = ReadOptions.DefaultChunkSize, long budget = 64L * 1024 * 1024, int parallelism = 4,
        long cacheSize = 1L << 30) => new()
    {
        ChunkSize = chunkSize,
        Parallelism = parallelism,
        MemoryBudget = budget,
        CacheDirectory = _cacheFolder.Path,
        CacheSizeBytes = cacheSize,
    };

    private ObjectReaderFactory NewFactory(ReadOptions options) => new(_fixture.Store, ContentCache.Create(options), options);

    private long Downloads => _fixture.Emulator.Requests.Count(RequestKind.Download);

    private static async Task ReadExactlyAsync(IObjectReader reader, long offset, Memory<byte> destination)
    {
        int n = await reader.ReadAsync(offset, destination);
        Assert.Equal(destination.Length, n);
    }

    [Fact]
    public async Task Sequential_reads_of_a_256_MiB_object_return_exactly_its_bytes()
    {
        ObjectInfo obj = _fixture.Large;
        byte[] data = _fixture.LargeData;
        await using ObjectReaderFactory factory = NewFactory(Options());
        await using IObjectReader reader = factory.OpenReader(obj);

        byte[] buffer = new byte[128 * 1024];
        long offset = 0;
        int n;
        while ((n = await reader.ReadAsync(offset, buffer)) > 0)
        {
            if (!buffer.AsSpan(0, n).SequenceEqual(data.AsSpan((int)offset, n)))
            {
                Assert.Fail($"bytes differ in the read at {offset}");
            }
            offset += n;
        }
        Assert.Equal(data.Length, offset);
        Assert.Equal(IntegrityState.Verified, factory.GetIntegrity(obj.Bucket, obj.Name, obj.Generation));
        Assert.True(factory.Budget.Peak <= factory.Budget.Capacity);
    }

    [Fact]
    public async Task Random_reads_of_a_256_MiB_object_return_exactly_its_bytes()
    {
        ObjectInfo obj = _fixture.Large;
        byte[] data = _fixture.LargeData;
        await using ObjectReaderFactory factory = NewFactory(Options());
        await using IObjectReader reader = factory.OpenReader(obj);

        // Every 1 MiB piece once, in a shuffled order, each at a random length and misalignment around its place.
        Random random = new(256);
        int pieces = data.Length / SmallChunk;
        int[] order = new int[pieces];
        for (int i = 0; i < pieces; i++)
        {
            order[i] = i;
        }
        random.Shuffle(order);
        byte[] buffer = new byte[SmallChunk + 8192];
        foreach (int piece in order)
        {
            Assert.NotEqual(IntegrityState.Failed, factory.GetIntegrity(obj.Bucket, obj.Name, obj.Generation));
            long start = Math.Max(0, ((long)piece * SmallChunk) - random.Next(0, 4096));
            int length = (int)Math.Min(SmallChunk + random.Next(4096, 8192), data.Length - start);
            int n = await reader.ReadAsync(start, buffer.AsMemory(0, length));
            Assert.Equal(length, n);
            if (!buffer.AsSpan(0, n).SequenceEqual(data.AsSpan((int)start, n)))
            {
                Assert.Fail($"bytes differ in the read at {start}");
            }
        }
        Assert.Equal(IntegrityState.Verified, factory.GetIntegrity(obj.Bucket, obj.Name, obj.Generation));
        Assert.True(factory.Budget.Peak <= factory.Budget.Capacity);
    }

    [Fact]
    public async Task A_corrupted_download_gives_CorruptionException_on_the_read_that_completes_the_object()
    {
        byte[] data = PatternData.Create(4 * SmallChunk, seed: 41);
        ObjectInfo obj = await _fixture.PutAsync("corrupt/one.bin", data);
        await using ObjectReaderFactory factory = NewFactory(Options(chunkSize: SmallChunk, budget: 4 * SmallChunk, parallelism: 1));
        await using IObjectReader reader = factory.OpenReader(obj);
        byte[] buffer = new byte[SmallChunk];

        // The first download (of the last chunk: reads go backwards, so nothing is read ahead) is damaged in transit.
        _fixture.Emulator.Faults.Add(new FaultRule
        {
            Kind = FaultKind.CorruptMedia, ObjectName = obj.Name, RequestKind = RequestKind.Download, AfterBytes = 1000,
        });
        for (int chunk = 3; chunk >= 1; chunk--)
        {
            await ReadExactlyAsync(reader, (long)chunk * SmallChunk, buffer);
            Assert.Equal(IntegrityState.Unverified, factory.GetIntegrity(obj.Bucket, obj.Name, obj.Generation));
        }
        await Assert.ThrowsAsync<CorruptionException>(async () => await reader.ReadAsync(0, buffer));
        Assert.Equal(IntegrityState.Failed, factory.GetIntegrity(obj.Bucket, obj.Name, obj.Generation));
        Assert.Equal(0, factory.Cache.ChunkCount);
        // Nothing more comes out of the handle that saw the failure.
        await Assert.ThrowsAsync<CorruptionException>(async () => await reader.ReadAsync(2L * SmallChunk, buffer));
    }

    [Fact]
    public async Task A_corrupted_download_during_a_sequential_read_stops_it_before_its_end()
    {
        byte[] data = PatternData.Create(6 * SmallChunk, seed: 42);
        ObjectInfo obj = await _fixture.PutAsync("corrupt/sequential.bin", data);
        await using ObjectReaderFactory factory = NewFactory(Options(chunkSize: SmallChunk, budget: 4 * SmallChunk, parallelism: 2));
        await using IObjectReader reader = factory.OpenReader(obj);
        _fixture.Emulator.Faults.Add(new FaultRule
        {
            Kind = FaultKind.CorruptMedia, ObjectName = obj.Name, RequestKind = RequestKind.Download, AfterBytes = 4242,
        });

        byte[] buffer = new byte[128 * 1024];
        long offset = 0;
        CorruptionException? failure = null;
        try
        {
            int n;
            while ((n = await reader.ReadAsync(offset, buffer)) > 0)
            {
                offset += n;
            }
        }
        catch (CorruptionException ex)
        {
            failure = ex;
        }
        Assert.NotNull(failure);
        Assert.True(offset < data.Length, "the reader never reaches the end of a corrupt object");
        Assert.Equal(IntegrityState.Failed, factory.GetIntegrity(obj.Bucket, obj.Name, obj.Generation));

        // A fresh open downloads again and, the fault spent, verifies.
        await using IObjectReader again = factory.OpenReader(obj);
        byte[] all = new byte[data.Length];
        await ReadExactlyAsync(again, 0, all);
        Assert.Equal(data, all);
        Assert.Equal(IntegrityState.Verified, factory.GetIntegrity(obj.Bucket, obj.Name, obj.Generation));
    }

    [Fact]
    public async Task A_cache_hit_after_a_remount_costs_zero_downloads()
    {
        byte[] data = PatternData.Create((5 * SmallChunk) + 333, seed: 43);
        ObjectInfo obj = await _fixture.PutAsync("remount/a.bin", data);
        // Budget for the whole object: under memory pressure a streamed chunk's cache write may be skipped.
        ReadOptions options = Options(chunkSize: SmallChunk, budget: 8 * SmallChunk);
        byte[] all = new byte[data.Length];
        await using (ObjectReaderFactory first = NewFactory(options))
        await using (IObjectReader reader = first.OpenReader(obj))
        {
            await ReadExactlyAsync(reader, 0, all);
        }

        long before = Downloads;
        await using ObjectReaderFactory second = NewFactory(options);
        Assert.Equal(IntegrityState.Verified, second.GetIntegrity(obj.Bucket, obj.Name, obj.Generation));
        await using IObjectReader again = second.OpenReader(obj);
        Array.Clear(all);
        await ReadExactlyAsync(again, 0, all);
        Assert.Equal(data, all);
        Assert.Equal(before, Downloads);
    }

    [Fact]
    public async Task A_corrupted_cache_chunk_on_disk_is_detected_and_downloaded_again()
    {
        byte[] data = PatternData.Create(3 * SmallChunk, seed: 44);
        ObjectInfo obj = await _fixture.PutAsync("disk/a.bin", data);
        ReadOptions options = Options(chunkSize: SmallChunk, budget: 4 * SmallChunk);
        byte[] all = new byte[data.Length];
        await using (ObjectReaderFactory first = NewFactory(options))
        await using (IObjectReader reader = first.OpenReader(obj))
        {
            await ReadExactlyAsync(reader, 0, all);
        }

        string[] chunkFiles = Directory.GetFiles(Path.Combine(_cacheFolder.Path, "content"), "*.chunk", SearchOption.AllDirectories);
        Assert.Equal(3, chunkFiles.Length);
        Array.Sort(chunkFiles, StringComparer.Ordinal);
        await using (FileStream file = new(chunkFiles[2], FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length / 2;
            int b = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(b ^ 0x01));
        }

        long before = Downloads;
        await using ObjectReaderFactory second = NewFactory(options);
        await using IObjectReader again = second.OpenReader(obj);
        Array.Clear(all);
        await ReadExactlyAsync(again, 0, all);
        Assert.Equal(data, all);
        Assert.Equal(before + 1, Downloads);
        Assert.Equal(IntegrityState.Verified, second.GetIntegrity(obj.Bucket, obj.Name, obj.Generation));
    }

    [Fact]
    public async Task Concurrent_readers_never_exceed_the_memory_budget()
    {
        long budget = 3L * SmallChunk;
        await using ObjectReaderFactory factory = NewFactory(Options(chunkSize: SmallChunk, budget: budget, parallelism: 4));
        Task[] readers = new Task[4];
        for (int r = 0; r < readers.Length; r++)
        {
            byte[] data = PatternData.Create(8 * SmallChunk, seed: (ulong)(50 + r));
            ObjectInfo obj = await _fixture.PutAsync($"budget/{r}.bin", data);
            readers[r] = Task.Run(async () =>
            {
                await using IObjectReader reader = factory.OpenReader(obj);
                byte[] buffer = new byte[256 * 1024];
                for (long offset = 0; offset < data.Length; offset += buffer.Length)
                {
                    await ReadExactlyAsync(reader, offset, buffer);
                    Assert.True(buffer.AsSpan().SequenceEqual(data.AsSpan((int)offset, buffer.Length)));
                    Assert.True(factory.Budget.InUse <= budget);
                }
            });
        }
        await Task.WhenAll(readers);
        Assert.True(factory.Budget.Peak <= budget, $"peak {factory.Budget.Peak} > budget {budget}");
        Assert.True(factory.Budget.Peak >= 2 * SmallChunk, "read-ahead used the budget in parallel");
    }

    [Fact]
    public async Task The_LRU_keeps_the_cache_under_its_size()
    {
        long capacity = 5L * (SmallChunk + 4096);
        await using ObjectReaderFactory factory = NewFactory(Options(chunkSize: SmallChunk, budget: 2 * SmallChunk, parallelism: 1, cacheSize: capacity));
        byte[] buffer = new byte[256 * 1024];
        for (int i = 0; i < 4; i++)
        {
            byte[] data = PatternData.Create(3 * SmallChunk, seed: (ulong)(60 + i));
            ObjectInfo obj = await _fixture.PutAsync($"lru/{i}.bin", data);
            await using IObjectReader reader = factory.OpenReader(obj);
            for (long offset = 0; offset < data.Length; offset += buffer.Length)
            {
                await ReadExactlyAsync(reader, offset, buffer);
                Assert.True(factory.Cache.SizeBytes <= capacity, $"{factory.Cache.SizeBytes} > {capacity}");
            }
        }
        await factory.WhenIdleAsync();
        long onDisk = 0;
        foreach (string file in Directory.GetFiles(factory.Cache.ContentDirectory, "*.chunk", SearchOption.AllDirectories))
        {
            onDisk += new FileInfo(file).Length;
        }
        Assert.True(onDisk <= capacity, $"{onDisk} bytes of chunks on disk > {capacity}");
        Assert.Equal(5, factory.Cache.ChunkCount);
    }
}
