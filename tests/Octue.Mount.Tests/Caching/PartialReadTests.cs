using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Caching;

/// <summary>
/// Small reads that no stream serves (random access) download just the 64 KiB blocks they touch, not whole chunks;
/// past a quarter of a chunk's blocks the chunk is downloaded whole, so an object read in full in any order still ends
/// verified; and a block served from a partial download that differs from the whole chunk fails the generation.
/// </summary>
public sealed class PartialReadTests : IDisposable
{
    private const int Block = ChunkLayout.BlockSize;
    private const int Chunk = 16 * Block; // 1 MiB: a quarter is 4 blocks
    private readonly TempDirectory _cacheFolder = new();
    private readonly MemoryObjectStore _store = new();

    public void Dispose() => _cacheFolder.Dispose();

    private ObjectReaderFactory NewFactory()
    {
        ReadOptions options = new() { ChunkSize = Chunk, Parallelism = 4, MemoryBudget = 8 * Chunk, CacheDirectory = _cacheFolder.Path };
        return new ObjectReaderFactory(_store, ContentCache.Create(options), options);
    }

    [Fact]
    public async Task A_small_random_read_downloads_only_the_blocks_it_touches()
    {
        byte[] data = PatternData.Create(8 * Chunk, seed: 21);
        ObjectInfo obj = _store.Put("b", "random.bin", data);
        await using ObjectReaderFactory factory = NewFactory();
        await using IObjectReader reader = factory.OpenReader(obj);

        // Three 4 KiB reads in three chunks, the last one across a block boundary (two blocks).
        long[] offsets = [(5L * Chunk) + (3 * Block) + 100, (2L * Chunk) + 12345, (7L * Chunk) + (2 * Block) - 2048];
        foreach (long offset in offsets)
        {
            byte[] buffer = new byte[4096];
            Assert.Equal(buffer.Length, await reader.ReadAsync(offset, buffer));
            Assert.True(data.AsSpan((int)offset, buffer.Length).SequenceEqual(buffer), $"bytes at {offset} differ");
        }

        Assert.Equal(3, _store.Downloads);
        Assert.Equal(4L * Block, _store.BytesRequested);
        // Nothing of a partial download is cached: only whole chunks are.
        await factory.WhenIdleAsync();
        Assert.Equal(0, factory.Cache.ChunkCount);
    }

    [Fact]
    public async Task Past_a_quarter_of_a_chunk_the_chunk_is_downloaded_whole()
    {
        byte[] data = PatternData.Create(4 * Chunk, seed: 22);
        ObjectInfo obj = _store.Put("b", "quarter.bin", data);
        await using ObjectReaderFactory factory = NewFactory();
        await using IObjectReader reader = factory.OpenReader(obj);

        // Four blocks of chunk 1, read out of order (each far enough from the last read not to look sequential),
        // come on their own; the fifth brings the whole chunk.
        int[] blocks = [1, 12, 3, 14, 5];
        byte[] buffer = new byte[1000];
        foreach (int block in blocks)
        {
            long offset = Chunk + ((long)block * Block) + 7;
            Assert.Equal(buffer.Length, await reader.ReadAsync(offset, buffer));
            Assert.True(data.AsSpan((int)offset, buffer.Length).SequenceEqual(buffer));
        }

        Assert.Equal(5, _store.Downloads);
        Assert.Equal((4L * Block) + Chunk, _store.BytesRequested);
        await factory.WhenIdleAsync();
        Assert.Equal(1, factory.Cache.ChunkCount);
    }

    [Fact]
    public async Task Concurrent_small_reads_on_one_reader_return_the_right_bytes()
    {
        byte[] data = PatternData.Create(16 * Chunk, seed: 25);
        ObjectInfo obj = _store.Put("b", "concurrent.bin", data);
        await using ObjectReaderFactory factory = NewFactory();
        await using IObjectReader reader = factory.OpenReader(obj);

        Task[] tasks = new Task[16];
        for (int t = 0; t < tasks.Length; t++)
        {
            int seed = t;
            tasks[t] = Task.Run(async () =>
            {
                Random random = new(seed);
                byte[] buffer = new byte[4096];
                for (int i = 0; i < 25; i++)
                {
                    long start = random.NextInt64(0, data.Length - buffer.Length);
                    Assert.Equal(buffer.Length, await reader.ReadAsync(start, buffer));
                    Assert.True(buffer.AsSpan().SequenceEqual(data.AsSpan((int)start, buffer.Length)), $"bytes at {start} differ");
                }
            });
        }
        await Task.WhenAll(tasks);
        Assert.True(factory.Budget.Peak <= factory.Budget.Capacity);
    }

    [Fact]
    public async Task An_object_read_in_full_in_random_order_is_verified()
    {
        byte[] data = PatternData.Create((3 * Chunk) + 5000, seed: 23);
        ObjectInfo obj = _store.Put("b", "shuffled.bin", data);
        await using ObjectReaderFactory factory = NewFactory();
        await using IObjectReader reader = factory.OpenReader(obj);

        // 16 KiB reads in a shuffled order: 97 pieces on (modulo the 193 pieces), so two reads in a row are always
        // far apart (more than half a chunk: they never look sequential and no stream starts).
        const int Piece = 16 * 1024;
        int pieces = (data.Length + Piece - 1) / Piece;
        Assert.Equal(193, pieces);
        int[] order = [.. Enumerable.Range(0, pieces).Select(i => (1 + (i * 97)) % pieces)];
        for (int i = 1; i < order.Length; i++)
        {
            Assert.True(Math.Abs(order[i] - order[i - 1]) * Piece > (Chunk / 2) + Piece, "two reads in a row are close");
        }
        byte[] copy = new byte[data.Length];
        foreach (int piece in order)
        {
            long offset = (long)piece * Piece;
            int length = (int)Math.Min(Piece, data.Length - offset);
            Assert.Equal(length, await reader.ReadAsync(offset, copy.AsMemory((int)offset, length)));
        }

        Assert.Equal(data, copy);
        Assert.Equal(IntegrityState.Verified, factory.GetIntegrity("b", "shuffled.bin", obj.Generation));
    }

    [Fact]
    public async Task A_partial_download_that_arrives_after_its_whole_chunk_is_not_served()
    {
        byte[] data = PatternData.Create(4 * Chunk, seed: 26);
        ObjectInfo obj = _store.Put("b", "late.bin", data);
        await using ObjectReaderFactory factory = NewFactory();

        // The partial download of a block of chunk 2 is damaged and stalls before its first byte.
        long damaged = (2L * Chunk) + (5 * Block) + (Block / 2);
        _store.CorruptNextDownloads(1);
        TaskCompletionSource release = _store.HoldNextDownloadAfter(0);
        await using IObjectReader random = factory.OpenReader(obj);
        byte[] small = new byte[16];
        Task<int> late = random.ReadAsync(damaged - 8, small).AsTask();
        for (int attempt = 0; attempt < 3000 && _store.Downloads == 0; attempt++)
        {
            await Task.Delay(10);
        }
        Assert.Equal(1, _store.Downloads);

        // Meanwhile a full read brings every chunk whole (chunk 2's check finds no block served yet) and verifies.
        await using (IObjectReader full = factory.OpenReader(obj))
        {
            byte[] all = new byte[data.Length];
            Assert.Equal(all.Length, await full.ReadAsync(0, all));
            Assert.Equal(data, all);
        }
        await factory.WhenIdleAsync();
        Assert.Equal(IntegrityState.Verified, factory.GetIntegrity("b", "late.bin", obj.Generation));

        // The late, damaged block was never checked against the chunk: the read is served from the chunk instead.
        release.SetResult();
        Assert.Equal(small.Length, await late.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(data.AsSpan((int)damaged - 8, small.Length).SequenceEqual(small), "the late partial download's bytes were served");
        Assert.Equal(IntegrityState.Verified, factory.GetIntegrity("b", "late.bin", obj.Generation));
    }

    [Fact]
    public async Task A_block_served_from_a_partial_download_that_differs_from_the_object_fails_the_generation()
    {
        byte[] data = PatternData.Create(4 * Chunk, seed: 24);
        ObjectInfo obj = _store.Put("b", "damaged.bin", data);
        await using ObjectReaderFactory factory = NewFactory();

        // The partial download of block 5 of chunk 2 is damaged in transit (its middle byte flipped) and served:
        // nothing can tell yet.
        long damaged = (2L * Chunk) + (5 * Block) + (Block / 2);
        _store.CorruptNextDownloads(1);
        await using (IObjectReader random = factory.OpenReader(obj))
        {
            byte[] small = new byte[16];
            Assert.Equal(small.Length, await random.ReadAsync(damaged - 8, small));
            Assert.NotEqual(data[(int)damaged], small[8]);
        }

        // A full read downloads chunk 2 whole, finds that block differs from what was served, and fails: EIO.
        await using IObjectReader full = factory.OpenReader(obj);
        byte[] buffer = new byte[data.Length];
        await Assert.ThrowsAsync<CorruptionException>(async () =>
        {
            int done = 0;
            while (done < buffer.Length)
            {
                int n = await full.ReadAsync(done, buffer.AsMemory(done, Math.Min(128 * 1024, buffer.Length - done)));
                Assert.True(n > 0);
                done += n;
            }
        });
        Assert.Equal(IntegrityState.Failed, factory.GetIntegrity("b", "damaged.bin", obj.Generation));

        // Opened again, the object reads clean and is verified.
        await using IObjectReader again = factory.OpenReader(obj);
        Assert.Equal(buffer.Length, await again.ReadAsync(0, buffer));
        Assert.Equal(data, buffer);
        Assert.Equal(IntegrityState.Verified, factory.GetIntegrity("b", "damaged.bin", obj.Generation));
    }
}
