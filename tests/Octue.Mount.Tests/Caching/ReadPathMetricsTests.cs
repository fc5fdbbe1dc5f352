using System.Diagnostics.Metrics;
using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Caching;

/// <summary>The read path's counters (run alone: the meter is process-wide).</summary>
[Collection(nameof(ReadPathMetricsTests))]
public sealed class ReadPathMetricsTests : IDisposable
{
    private const int Chunk = 4 * ChunkLayout.BlockSize;
    private readonly TempDirectory _cacheFolder = new();
    private readonly MemoryObjectStore _store = new();
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, long> _totals = new();

    public ReadPathMetricsTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Octue.Mount" && instrument.Name.StartsWith("octue.mount.", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            lock (_totals)
            {
                _totals[instrument.Name] = _totals.GetValueOrDefault(instrument.Name) + value;
            }
        });
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _cacheFolder.Dispose();
    }

    private long Total(string name)
    {
        lock (_totals)
        {
            return _totals.GetValueOrDefault(name);
        }
    }

    [Fact]
    public async Task Counts_downloaded_bytes_hits_misses_verifications_and_failures()
    {
        byte[] data = PatternData.Create(3 * Chunk, seed: 90);
        ObjectInfo obj = _store.Put("b", "metrics.bin", data);
        ReadOptions options = new() { ChunkSize = Chunk, Parallelism = 1, MemoryBudget = 4 * Chunk, CacheDirectory = _cacheFolder.Path };
        await using (ObjectReaderFactory factory = new(_store, ContentCache.Create(options), options))
        await using (IObjectReader reader = factory.OpenReader(obj))
        {
            // Backwards, one chunk per read: no read-ahead, three misses, then three hits.
            byte[] buffer = new byte[Chunk];
            for (int round = 0; round < 2; round++)
            {
                for (int chunk = 2; chunk >= 0; chunk--)
                {
                    Assert.Equal(Chunk, await reader.ReadAsync((long)chunk * Chunk, buffer));
                }
            }
        }
        Assert.Equal(data.Length, Total("octue.mount.read.store_bytes"));
        Assert.Equal(2L * data.Length, Total("octue.mount.read.served_bytes"));
        Assert.Equal(3, Total("octue.mount.cache.misses"));
        Assert.Equal(3, Total("octue.mount.cache.hits"));
        Assert.Equal(1, Total("octue.mount.integrity.verifications"));
        Assert.Equal(0, Total("octue.mount.integrity.failures"));

        ObjectInfo bad = _store.Put("b", "metrics-bad.bin", data);
        _store.CorruptNextDownloads(1);
        await using (ObjectReaderFactory factory = new(_store, ContentCache.Create(options), options))
        await using (IObjectReader reader = factory.OpenReader(bad))
        {
            await Assert.ThrowsAsync<CorruptionException>(async () => await reader.ReadAsync(0, new byte[data.Length]));
        }
        Assert.Equal(1, Total("octue.mount.integrity.failures"));
        Assert.Equal(1, Total("octue.mount.integrity.verifications"));
    }
}
