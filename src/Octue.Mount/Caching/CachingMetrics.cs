using System.Diagnostics.Metrics;

namespace Octue.Mount.Caching;

/// <summary>Counters of the read path, on the product's meter (readable with dotnet-counters).</summary>
internal static class CachingMetrics
{
    public const string MeterName = "Octue.Mount";

    private static readonly Meter Meter = new(MeterName);

    public static readonly ReadPathCounter BytesReadFromStore =
        new(Meter.CreateCounter<long>("octue.mount.read.store_bytes", "By", "Bytes downloaded from the object store by the read path."));

    public static readonly ReadPathCounter BytesServed =
        new(Meter.CreateCounter<long>("octue.mount.read.served_bytes", "By", "Bytes returned to readers."));

    public static readonly ReadPathCounter CacheHits =
        new(Meter.CreateCounter<long>("octue.mount.cache.hits", "{read}", "Chunk reads served from the content cache."));

    public static readonly ReadPathCounter CacheMisses =
        new(Meter.CreateCounter<long>("octue.mount.cache.misses", "{read}", "Chunk reads that had to download the chunk."));

    public static readonly ReadPathCounter CacheCorruptChunks =
        new(Meter.CreateCounter<long>("octue.mount.cache.corrupt_chunks", "{chunk}", "Cached chunks discarded because their bytes or header did not match their CRC32C."));

    public static readonly ReadPathCounter PartialDownloads =
        new(Meter.CreateCounter<long>("octue.mount.read.partial_downloads", "{request}", "Partial reads of a chunk nobody held, served by a download of just the 64 KiB blocks they touch."));

    public static readonly ReadPathCounter CacheFillsSkipped =
        new(Meter.CreateCounter<long>("octue.mount.cache.skipped_fills", "{chunk}", "Streamed chunks not written to the content cache because earlier writes still held the memory the stream needed."));

    public static readonly ReadPathCounter Verifications =
        new(Meter.CreateCounter<long>("octue.mount.integrity.verifications", "{object}", "Objects read in full and found to match their hash."));

    public static readonly ReadPathCounter IntegrityFailures =
        new(Meter.CreateCounter<long>("octue.mount.integrity.failures", "{object}", "Objects whose downloaded bytes did not match their hash."));

    /// <summary>
    /// A counter of the read path that leaves out the start-up warm-up's reads (<see cref="WarmUpScope"/>): they are
    /// made on an in-memory bucket and are none of the mount's.
    /// </summary>
    internal sealed class ReadPathCounter(Counter<long> counter)
    {
        /// <summary>The counter itself (for listeners).</summary>
        public Counter<long> Instrument => counter;

        public void Add(long delta)
        {
            if (!WarmUpScope.Active)
                counter.Add(delta);
        }
    }
}
