using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Caching;

/// <summary>
/// The content cache's lock is taken by every read; no file work (open, delete, rename, close, state write) runs while
/// it is held, so a slow disk never stalls readers of other objects. Driven through evictions, kept handles closed when
/// the last reader goes, a damaged chunk file discarded and a failed full-object check.
/// </summary>
public sealed class ContentCacheLockTests : IDisposable
{
    private const int Chunk = 4 * ChunkLayout.BlockSize;
    private readonly TempDirectory _cacheFolder = new();
    private readonly MemoryObjectStore _store = new();

    public void Dispose() => _cacheFolder.Dispose();

    [Fact]
    public async Task No_file_work_runs_under_the_cache_lock()
    {
        long chunkFileBytes = ChunkFile.DataOffset(Chunk / ChunkLayout.BlockSize) + Chunk;
        ReadOptions options = new()
        {
            ChunkSize = Chunk, Parallelism = 2, MemoryBudget = 4 * Chunk, CacheDirectory = _cacheFolder.Path, CacheSizeBytes = 3 * chunkFileBytes,
        };
        ContentCache cache = ContentCache.Create(options);
        int underLock = 0;
        int total = 0;
        cache.FileWorkObserver = locked =>
        {
            Interlocked.Increment(ref total);
            if (locked)
            {
                Interlocked.Increment(ref underLock);
            }
        };
        await using ObjectReaderFactory factory = new(_store, cache, options);

        // Evictions: three objects of two chunks through a cache with room for three chunks; read twice, so chunk
        // files are opened (and their handles kept, then closed with the last reader).
        byte[][] contents = [.. Enumerable.Range(0, 3).Select(i => PatternData.Create(2 * Chunk, seed: (ulong)(30 + i)))];
        ObjectInfo[] objects = [.. contents.Select((data, i) => _store.Put("b", $"lock-{i}.bin", data))];
        for (int pass = 0; pass < 2; pass++)
        {
            for (int i = 0; i < objects.Length; i++)
            {
                await using IObjectReader reader = factory.OpenReader(objects[i]);
                byte[] buffer = new byte[contents[i].Length];
                Assert.Equal(buffer.Length, await reader.ReadAsync(0, buffer));
                Assert.Equal(contents[i], buffer);
                await factory.WhenIdleAsync();
            }
        }

        // A damaged chunk file is discarded (and downloaded again).
        string chunkFile = Directory.EnumerateFiles(cache.ContentDirectory, "*.chunk", SearchOption.AllDirectories).First();
        await using (FileStream file = new(chunkFile, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length - 10;
            file.WriteByte(0xEE);
        }
        for (int i = 0; i < objects.Length; i++)
        {
            await using IObjectReader reader = factory.OpenReader(objects[i]);
            byte[] buffer = new byte[contents[i].Length];
            Assert.Equal(buffer.Length, await reader.ReadAsync(0, buffer));
            Assert.Equal(contents[i], buffer);
        }

        // A failed full-object check drops the object's chunks.
        ObjectInfo bad = _store.Put("b", "lock-bad.bin", PatternData.Create(2 * Chunk, seed: 40));
        _store.CorruptNextDownloads(1);
        await using (IObjectReader reader = factory.OpenReader(bad))
        {
            await Assert.ThrowsAsync<CorruptionException>(async () => await reader.ReadAsync(0, new byte[2 * Chunk]));
        }
        await factory.WhenIdleAsync();

        Assert.True(total > 20, $"only {total} file operations were seen");
        Assert.Equal(0, underLock);
    }
}
