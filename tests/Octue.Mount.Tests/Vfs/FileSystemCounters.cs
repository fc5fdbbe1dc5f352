using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// Listens to every file system's counters from before a mount is created (so the source check and the manifest read
/// are caught) and keeps them per meter, so tests running in parallel do not see each other's counts. A listener
/// rather than <c>MetricCollector&lt;T&gt;</c> (which the tests of one instrument on an existing meter use): a collector
/// follows one instrument of a meter it is given, and this must catch every instrument of meters not made yet.
/// </summary>
public sealed class FileSystemCounters : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(Meter Meter, string Key), long> _counts = new();

    public FileSystemCounters()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == VfsMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var key = instrument.Name;
            foreach (var tag in tags)
            {
                key += $"/{tag.Value}";
            }

            _counts.AddOrUpdate((instrument.Meter, key), value, (_, old) => old + value);
        });
        _listener.Start();
    }

    /// <summary>The total of <paramref name="key"/> (an instrument name, then <c>/tag value</c>s) on this file system.</summary>
    public long Get(OctueFileSystem fs, string key) => _counts.GetValueOrDefault((fs.Metrics.Meter, key));

    /// <summary>Every total of this file system, by key.</summary>
    public IReadOnlyDictionary<string, long> All(OctueFileSystem fs)
    {
        var all = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var ((meter, key), value) in _counts)
        {
            if (meter == fs.Metrics.Meter)
            {
                all[key] = value;
            }
        }

        return all;
    }

    public void Dispose() => _listener.Dispose();
}
