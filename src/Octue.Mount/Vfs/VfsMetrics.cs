using System.Diagnostics.Metrics;

namespace Octue.Mount.Vfs;

/// <summary>
/// Counters of the file system on the "Octue.Mount" meter (readable with dotnet-counters): store requests by kind,
/// bytes read and written, uploads, conflicts, recovered staged files, hidden names, integrity failures.
/// </summary>
internal sealed class VfsMetrics : IDisposable
{
    public const string MeterName = "Octue.Mount";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _bytesRead;
    private readonly Counter<long> _bytesWritten;
    private readonly Counter<long> _uploads;
    private readonly Counter<long> _conflicts;
    private readonly Counter<long> _recovered;
    private readonly Counter<long> _hiddenNames;
    private readonly Counter<long> _integrityFailures;
    private readonly Counter<long> _metadataHits;
    private readonly Counter<long> _metadataMisses;

    public VfsMetrics()
    {
        _meter = new Meter(MeterName);
        _requests = _meter.CreateCounter<long>("octue_mount.vfs.requests", "{request}", "Object store requests made by the file system, by kind");
        _bytesRead = _meter.CreateCounter<long>("octue_mount.vfs.bytes_read", "By", "Bytes returned to readers");
        _bytesWritten = _meter.CreateCounter<long>("octue_mount.vfs.bytes_written", "By", "Bytes written to staged files");
        _uploads = _meter.CreateCounter<long>("octue_mount.vfs.uploads", "{upload}", "Staged files uploaded");
        _conflicts = _meter.CreateCounter<long>("octue_mount.vfs.conflicts", "{conflict}", "Uploads that lost a generation race (bytes kept in conflicts/)");
        _recovered = _meter.CreateCounter<long>("octue_mount.vfs.recovered", "{file}", "Staged files found after a crash, by outcome");
        _hiddenNames = _meter.CreateCounter<long>("octue_mount.vfs.hidden_names", "{object}", "Objects hidden because their names cannot be file names");
        _integrityFailures = _meter.CreateCounter<long>("octue_mount.vfs.integrity_failures", "{read}", "Reads refused because bytes failed verification");
        _metadataHits = _meter.CreateCounter<long>("octue_mount.vfs.metadata_cache_hits", "{lookup}", "Stats and listings answered from the metadata cache");
        _metadataMisses = _meter.CreateCounter<long>("octue_mount.vfs.metadata_cache_misses", "{lookup}", "Stats and listings that went to the store");
    }

    /// <summary>This instance's meter (each file system has its own, all named <see cref="MeterName"/>).</summary>
    public Meter Meter => _meter;

    public void Request(string kind) => _requests.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void BytesRead(long count) => _bytesRead.Add(count);

    public void BytesWritten(long count) => _bytesWritten.Add(count);

    public void Upload() => _uploads.Add(1);

    public void Conflict() => _conflicts.Add(1);

    public void Recovered(string outcome) => _recovered.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void HiddenName() => _hiddenNames.Add(1);

    public void IntegrityFailure() => _integrityFailures.Add(1);

    public void MetadataHit() => _metadataHits.Add(1);

    public void MetadataMiss() => _metadataMisses.Add(1);

    public void Dispose() => _meter.Dispose();
}
