using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Caching;

/// <summary>
/// The memory tier: a downloaded chunk stays in its download buffer (its share of the memory budget) for the reads
/// right behind, and gives the memory back when a reader has read its last byte or when its object has no reader left.
/// One chunk per object, so no read-ahead takes budget of its own.
/// </summary>
public sealed class HotChunkTests : IDisposable
{
    private const int Chunk = 4 * ChunkLayout.BlockSize;
    private readonly TempDirectory _cacheFolder = new();
    private readonly MemoryObjectStore _store = new();

    public void Dispose() => _cacheFolder.Dispose();

    private ObjectReaderFactory NewFactory()
    {
        ReadOptions options = new() { ChunkSize = Chunk, Parallelism = 1, MemoryBudget = 4 * Chunk, CacheDirectory = _cacheFolder.Path };
        return new ObjectReaderFactory(_store, ContentCache.Create(options), options);
    }

    [Fact]
    public async Task A_chunk_read_in_part_stays_in_memory_and_goes_after_its_last_byte()
    {
        byte[] data = PatternData.Create(Chunk, seed: 21);
        ObjectInfo obj = _store.Put("b", "hot.bin", data);
        await using ObjectReaderFactory factory = NewFactory();
        await using IObjectReader reader = factory.OpenReader(obj);

        byte[] head = new byte[1000];
        Assert.Equal(head.Length, await reader.ReadAsync(0, head));
        Assert.True(factory.Budget.InUse >= Chunk, $"{factory.Budget.InUse} bytes of budget held after the first read");

        byte[] rest = new byte[Chunk - head.Length];
        Assert.Equal(rest.Length, await reader.ReadAsync(head.Length, rest));
        Assert.Equal(data, head.Concat(rest));
        Assert.Equal(1, _store.Downloads);
        await BudgetFreedAsync(factory);
    }

    [Fact]
    public async Task A_chunk_read_in_part_goes_when_its_last_reader_closes()
    {
        ObjectInfo obj = _store.Put("b", "closed.bin", PatternData.Create(Chunk, seed: 22));
        await using ObjectReaderFactory factory = NewFactory();
        await using (IObjectReader reader = factory.OpenReader(obj))
        {
            Assert.Equal(1000, await reader.ReadAsync(0, new byte[1000]));
            Assert.True(factory.Budget.InUse >= Chunk, $"{factory.Budget.InUse} bytes of budget held after the first read");
        }

        await BudgetFreedAsync(factory);
    }

    /// <summary>Waits for the budget to be all free: the memory goes once the chunk's disk write is over, beside the reads.</summary>
    private static async Task BudgetFreedAsync(ObjectReaderFactory factory)
    {
        for (int attempt = 0; attempt < 1000 && factory.Budget.InUse != 0; attempt++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, factory.Budget.InUse);
    }
}
