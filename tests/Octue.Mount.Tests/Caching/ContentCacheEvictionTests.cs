using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Caching;

/// <summary>
/// The content cache's size bound, seen directly: the cache never stays over its size, an evicted chunk is downloaded
/// again when it is read, and a cache too small for a single chunk still serves every byte. Downloads are counted by
/// the store.
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
        ReadOptions options = new()
        {
            ChunkSize = Chunk, Parallelism = 1, MemoryBudget = 4 * Chunk, CacheDirectory = _cacheFolder.Path, CacheSizeBytes = capacity,
        };
        await using ObjectReaderFactory factory = new(_store, ContentCache.Create(options), options);

        for (int i = 0; i < objects.Length; i++)
        {
            await ReadAllAsync(factory, objects[i], contents[i]);
        }
        Assert.Equal(6, _store.Downloads);

        // Six chunks went through a cache with room for four: once every one is written, four are kept.
        await CachedChunksAsync(factory, 4);
        Assert.True(factory.Cache.SizeBytes <= capacity, $"{factory.Cache.SizeBytes} bytes cached, over {capacity}");
        Assert.Equal(4 * ChunkFileBytes, factory.Cache.SizeBytes);

        // Reading everything again gives the same bytes; the two evicted chunks (and only chunks) are downloaded again.
        for (int i = 0; i < objects.Length; i++)
        {
            await ReadAllAsync(factory, objects[i], contents[i]);
        }
        Assert.True(_store.Downloads >= 8, $"{_store.Downloads - 6} downloads for six chunks of which two were evicted");
        Assert.True(factory.Cache.SizeBytes <= capacity, $"{factory.Cache.SizeBytes} bytes cached, over {capacity}");
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
