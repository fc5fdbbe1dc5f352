using Microsoft.Extensions.Diagnostics.Metrics.Testing;
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
    private readonly MetricCollector<long> _storeBytes = new(CachingMetrics.BytesReadFromStore.Instrument);
    private readonly MetricCollector<long> _servedBytes = new(CachingMetrics.BytesServed.Instrument);
    private readonly MetricCollector<long> _hits = new(CachingMetrics.CacheHits.Instrument);
    private readonly MetricCollector<long> _misses = new(CachingMetrics.CacheMisses.Instrument);
    private readonly MetricCollector<long> _verifications = new(CachingMetrics.Verifications.Instrument);
    private readonly MetricCollector<long> _failures = new(CachingMetrics.IntegrityFailures.Instrument);

    public void Dispose()
    {
        foreach (var collector in new[] { _storeBytes, _servedBytes, _hits, _misses, _verifications, _failures })
        {
            collector.Dispose();
        }
        _cacheFolder.Dispose();
    }

    private static long Total(MetricCollector<long> collector) => collector.GetMeasurementSnapshot().EvaluateAsCounter();

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
        Assert.Equal(data.Length, Total(_storeBytes));
        Assert.Equal(2L * data.Length, Total(_servedBytes));
        Assert.Equal(3, Total(_misses));
        Assert.Equal(3, Total(_hits));
        Assert.Equal(1, Total(_verifications));
        Assert.Equal(0, Total(_failures));

        ObjectInfo bad = _store.Put("b", "metrics-bad.bin", data);
        _store.CorruptNextDownloads(1);
        await using (ObjectReaderFactory factory = new(_store, ContentCache.Create(options), options))
        await using (IObjectReader reader = factory.OpenReader(bad))
        {
            await Assert.ThrowsAsync<CorruptionException>(async () => await reader.ReadAsync(0, new byte[data.Length]));
        }
        Assert.Equal(1, Total(_failures));
        Assert.Equal(1, Total(_verifications));
    }
}
