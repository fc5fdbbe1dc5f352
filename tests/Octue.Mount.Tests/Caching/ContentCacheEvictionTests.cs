using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Caching;

/// <summary>
/// The content cache's size bound, seen directly: chunks go least recently used first (a read is a use), the cache
/// never stays over its size, an evicted chunk is downloaded again when it is read, and a cache too small for a single
/// chunk still serves every byte. Downloads are counted by the store.
/// </summary>
public sealed class ContentCacheEvictionTests : IDisposable
{
    private const int Chunk = 4 * ChunkLayout.BlockSize;
    private static readonly long ChunkFileBytes = ChunkFile.DataOffset(Chunk / ChunkLayout.BlockSize) + Chunk;
    private readonly TempDirectory _cacheFolder = new();
    private readonly MemoryObjectStore _store = new();

    public void Dispose() => _cacheFolder.Dispose();

    [Fact]
    public async Task The_cache_stays_under_its_size_and_evicted_chunks_are_downloaded_again()
    {
        long capacity = 4 * ChunkFileBytes;
        byte[][] contents = [PatternData.Create(2 * Chunk, seed: 1), PatternData.Create(2 * Chunk, seed: 2), PatternData.Create(2 * Chunk, seed: 3)];
        ObjectInfo[] objects = [.. contents.Select((data, i) => _store.Put("b", $"object-{i}.bin", data))];
        // Memory for all six chunks: a streamed chunk's cache write is skipped when earlier writes hold the memory the
        // stream needs (a slow disk under a busy machine), and this test is about what the disk cache keeps and evicts.
        ReadOptions options = new()
        {
            ChunkSize = Chunk, Parallelism = 1, MemoryBudget = 8 * Chunk, CacheDirectory = _cacheFolder.Path, CacheSizeBytes = capacity,
        };
        await using ObjectReaderFactory factory = new(_store, ContentCache.Create(options), options);

        for (int i = 0; i < objects.Length; i++)
        {
            await ReadAllAsync(factory, objects[i], contents[i]);
        }
        // Each object is read whole from the start, so one streaming GET serves both of its chunks.
        Assert.Equal(3, _store.Downloads);
        Assert.Equal(6L * Chunk, _store.BytesRequested);

        // Six chunks went through a cache with room for four: once every one is written, four are kept. (The cache
        // writes run beside the reads: wait for all of them, not for a count the fourth write already reaches.)
        await factory.WhenIdleAsync();
        await CachedChunksAsync(factory, 4);
        Assert.True(factory.Cache.SizeBytes <= capacity, $"{factory.Cache.SizeBytes} bytes cached, over {capacity}");
        Assert.Equal(4 * ChunkFileBytes, factory.Cache.SizeBytes);

        // Reading everything again gives the same bytes; the two evicted chunks (and only chunks) are downloaded again.
        for (int i = 0; i < objects.Length; i++)
        {
            await ReadAllAsync(factory, objects[i], contents[i]);
        }
        long again = _store.BytesRequested - 6L * Chunk;
        Assert.True(again >= 2L * Chunk, $"{again} bytes downloaded again for six chunks of which two were evicted");
        Assert.True(factory.Cache.SizeBytes <= capacity, $"{factory.Cache.SizeBytes} bytes cached, over {capacity}");
    }

    [Fact]
    public async Task The_least_recently_used_chunk_goes_first_and_a_read_counts_as_a_use()
    {
        ObjectInfo a = _store.Put("b", "a.bin", PatternData.Create(2 * Chunk, seed: 5));
        ObjectInfo b = _store.Put("b", "b.bin", PatternData.Create(2 * Chunk, seed: 6));
        ObjectInfo c = _store.Put("b", "c.bin", PatternData.Create(Chunk, seed: 7));
        ReadOptions options = new()
        {
            ChunkSize = Chunk, Parallelism = 1, MemoryBudget = 4 * Chunk, CacheDirectory = _cacheFolder.Path, CacheSizeBytes = 4 * ChunkFileBytes,
        };
        await using ObjectReaderFactory factory = new(_store, ContentCache.Create(options), options);

        // One chunk at a time, each on disk before the next is read, so the order of use is the order of the reads:
        // a1, a0, then a1 again (a hit: now the most recent), b1, b0.
        await ReadChunkAsync(factory, a, 1, ["a.bin/1"]);
        await ReadChunkAsync(factory, a, 0, ["a.bin/0", "a.bin/1"]);
        await ReadChunkAsync(factory, a, 1, ["a.bin/0", "a.bin/1"]);
        await ReadChunkAsync(factory, b, 1, ["a.bin/0", "a.bin/1", "b.bin/1"]);
        await ReadChunkAsync(factory, b, 0, ["a.bin/0", "a.bin/1", "b.bin/0", "b.bin/1"]);
        Assert.Equal(4, _store.Downloads);

        // A fifth chunk needs room: a0, used longest ago, goes; a1, read again after it, stays.
        await ReadChunkAsync(factory, c, 0, ["a.bin/1", "b.bin/0", "b.bin/1", "c.bin/0"]);
        Assert.Equal(5, _store.Downloads);
    }

    [Fact]
    public async Task A_cache_too_small_for_one_chunk_still_serves_reads()
    {
        byte[] data = PatternData.Create(2 * Chunk, seed: 4);
        ObjectInfo obj = _store.Put("b", "small-cache.bin", data);
        ReadOptions options = new()
        {
            ChunkSize = Chunk, Parallelism = 1, MemoryBudget = 4 * Chunk, CacheDirectory = _cacheFolder.Path, CacheSizeBytes = Chunk / 2,
        };
        await using ObjectReaderFactory factory = new(_store, ContentCache.Create(options), options);
        await using IObjectReader reader = factory.OpenReader(obj);

        byte[] buffer = new byte[data.Length];
        Assert.Equal(data.Length, await reader.ReadAsync(0, buffer));
        Assert.Equal(data, buffer);
        Assert.True(factory.Cache.SizeBytes <= Chunk / 2, $"{factory.Cache.SizeBytes} bytes cached, over {Chunk / 2}");
    }

    /// <summary>
    /// Reads one chunk with a reader of its own, then waits until the chunk files on disk are <paramref name="expected"/>
    /// ("name/index"): a downloaded chunk is written to disk beside the reads it serves, and takes its place in the
    /// order of use when it is written.
    /// </summary>
    private static async Task ReadChunkAsync(ObjectReaderFactory factory, ObjectInfo obj, int chunk, string[] expected)
    {
        await using (IObjectReader reader = factory.OpenReader(obj))
        {
            Assert.Equal(Chunk, await reader.ReadAsync((long)chunk * Chunk, new byte[Chunk]));
        }

        for (int attempt = 0; attempt < 1000; attempt++)
        {
            if (factory.Cache.ChunkCount == expected.Length && ChunkFilesOnDisk(factory).SequenceEqual(expected))
            {
                return;
            }

            await Task.Delay(10);
        }

        Assert.Equal(expected, ChunkFilesOnDisk(factory));
        Assert.Equal(expected.Length, factory.Cache.ChunkCount);
    }

    /// <summary>The chunk files in the cache folder, as "name/index" in ordinal order (each entry's state.json names its object).</summary>
    private static List<string> ChunkFilesOnDisk(ObjectReaderFactory factory)
    {
        List<string> files = [];
        foreach (string entry in Directory.EnumerateDirectories(factory.Cache.ContentDirectory))
        {
            string state = Path.Combine(entry, "state.json");
            if (!File.Exists(state))
            {
                continue;
            }

            string name;
            try
            {
                name = System.Text.Json.JsonDocument.Parse(File.ReadAllText(state)).RootElement.GetProperty("Name").GetString()!;
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or IOException)
            {
                continue; // Being written: the next look sees it.
            }

            foreach (string file in Directory.EnumerateFiles(entry, "*.chunk"))
            {
                files.Add($"{name}/{int.Parse(Path.GetFileNameWithoutExtension(file), System.Globalization.CultureInfo.InvariantCulture)}");
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>
    /// Waits until the cache holds <paramref name="count"/> chunks: a downloaded chunk is written to disk beside the
    /// reads it serves, so the last ones may still be on their way when the reads return.
    /// </summary>
    private static async Task CachedChunksAsync(ObjectReaderFactory factory, int count)
    {
        for (int attempt = 0; attempt < 1000 && factory.Cache.ChunkCount != count; attempt++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(count, factory.Cache.ChunkCount);
    }

    private static async Task ReadAllAsync(ObjectReaderFactory factory, ObjectInfo obj, byte[] expected)
    {
        await using IObjectReader reader = factory.OpenReader(obj);
        byte[] buffer = new byte[expected.Length];
        Assert.Equal(buffer.Length, await reader.ReadAsync(0, buffer));
        Assert.Equal(expected, buffer);
    }
}
