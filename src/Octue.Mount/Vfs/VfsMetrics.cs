using System.Diagnostics.Metrics;
using Octue.Mount.Caching;

namespace Octue.Mount.Vfs;

/// <summary>
/// Counters of one file system, on its own meter named <see cref="MeterName"/> (the read path's counters share the
/// name, so <c>dotnet-counters monitor --counters Octue.Mount</c> and the Prometheus and OTLP exporters show both):
/// bytes read and written, uploads and their bytes, bytes staged now, conflicts, recovered staged files, hidden names,
/// integrity failures, metadata cache hits and misses. Store requests and their durations are counted on the same
/// meter by <see cref="Storage.CountingObjectStore"/>. A meter per instance lets tests tell one file system's counts
/// from another's. docs/metrics.md lists them.
/// </summary>
internal sealed class VfsMetrics : IDisposable
{
    public const string MeterName = CachingMetrics.MeterName;

    private readonly Meter _meter;
    private readonly Counter<long> _uploadedBytes;
    private readonly Counter<long> _bytesRead;
    private readonly Counter<long> _bytesWritten;
    private readonly Counter<long> _uploads;
    private readonly Counter<long> _conflicts;
    private readonly Counter<long> _refusedUploads;
    private readonly Counter<long> _recovered;
    private readonly Counter<long> _hiddenNames;
    private readonly Counter<long> _integrityFailures;
    private readonly Counter<long> _metadataHits;
    private readonly Counter<long> _metadataMisses;

    public VfsMetrics()
    {
        // The start-up warm-up's file system counts on a meter of its own, which no exporter reads.
        _meter = new Meter(WarmUpScope.Active ? WarmUpScope.MeterName : MeterName);
        _uploadedBytes = _meter.CreateCounter<long>("octue.mount.vfs.uploaded_bytes", "By", "Bytes of staged files uploaded");
        _bytesRead = _meter.CreateCounter<long>("octue.mount.vfs.read_bytes", "By", "Bytes returned to readers");
        _bytesWritten = _meter.CreateCounter<long>("octue.mount.vfs.written_bytes", "By", "Bytes written to staged files");
        _uploads = _meter.CreateCounter<long>("octue.mount.vfs.uploads", "{upload}", "Staged files uploaded");
        _conflicts = _meter.CreateCounter<long>("octue.mount.vfs.conflicts", "{conflict}", "Uploads that lost a generation race (bytes kept in conflicts/)");
        _refusedUploads = _meter.CreateCounter<long>("octue.mount.vfs.refused_uploads", "{upload}", "Staged files the store refused for good (bytes kept in conflicts/, not retried)");
        _recovered = _meter.CreateCounter<long>("octue.mount.vfs.recovered", "{file}", "Staged files found after a crash, by outcome");
        _hiddenNames = _meter.CreateCounter<long>("octue.mount.vfs.hidden_names", "{object}", "Objects hidden because their names cannot be file names");
        _integrityFailures = _meter.CreateCounter<long>("octue.mount.vfs.integrity_failures", "{read}", "Reads and writes refused because bytes failed verification");
        _metadataHits = _meter.CreateCounter<long>("octue.mount.metadata_cache.hits", "{lookup}", "Stats, directory probes and listings answered from the metadata cache");
        _metadataMisses = _meter.CreateCounter<long>("octue.mount.metadata_cache.misses", "{lookup}", "Stats, directory probes and listings that went to the store");
    }

    /// <summary>This instance's meter (each file system has its own, all named <see cref="MeterName"/>).</summary>
    public Meter Meter => _meter;

    /// <summary>
    /// Publishes <c>octue.mount.vfs.staged_bytes</c>, the bytes of staged files in the cache folder now (written and
    /// not yet uploaded, or kept for recovery), measured by <paramref name="measure"/> when a reader collects it.
    /// </summary>
    public void ObserveStagedBytes(Func<long> measure) =>
        _meter.CreateObservableGauge("octue.mount.vfs.staged_bytes", measure, "By", "Bytes of staged files in the cache folder now (not yet uploaded, or kept for recovery)");

    public void BytesRead(long count) => _bytesRead.Add(count);

    public void BytesWritten(long count) => _bytesWritten.Add(count);

    public void Upload(long bytes)
    {
        _uploads.Add(1);
        _uploadedBytes.Add(bytes);
    }

    public void Conflict() => _conflicts.Add(1);

    public void RefusedUpload() => _refusedUploads.Add(1);

    public void Recovered(string outcome) => _recovered.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void HiddenName() => _hiddenNames.Add(1);

    public void IntegrityFailure() => _integrityFailures.Add(1);

    public void MetadataHit() => _metadataHits.Add(1);

    public void MetadataMiss() => _metadataMisses.Add(1);

    /// <summary>Counts an answer the metadata cache gave (<paramref name="hit"/>) or could not give.</summary>
    public void Metadata(bool hit)
    {
        if (hit)
        {
            MetadataHit();
        }
        else
        {
            MetadataMiss();
        }
    }

    public void Dispose() => _meter.Dispose();
}
