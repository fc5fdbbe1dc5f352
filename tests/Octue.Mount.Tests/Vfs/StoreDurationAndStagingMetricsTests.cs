using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Octue.Mount.Emulator;
using Octue.Mount.Storage;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// The instruments a monitoring system reads beside the request counts: <c>octue.mount.store.duration</c> (one
/// measurement per store call, with its kind and outcome), <c>octue.mount.vfs.uploaded_bytes</c> and the
/// <c>octue.mount.vfs.staged_bytes</c> gauge.
/// </summary>
public sealed class StoreDurationAndStagingMetricsTests : IClassFixture<VfsFixture>
{
    private readonly VfsFixture _fixture;

    public StoreDurationAndStagingMetricsTests(VfsFixture fixture) => _fixture = fixture;

    /// <summary>Every duration recorded on one file system's meter, as (kind, outcome, seconds).</summary>
    private sealed class Durations : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(Meter Meter, string Kind, string Outcome, double Seconds)> _recorded = new();

        public Durations()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == VfsMetrics.MeterName && instrument.Name is "octue.mount.store.duration" or "octue.mount.vfs.staged_bytes")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            {
                string kind = "", outcome = "";
                foreach (var tag in tags)
                {
                    if (tag.Key == "kind")
                        kind = (string)tag.Value!;
                    else if (tag.Key == "outcome")
                        outcome = (string)tag.Value!;
                }
                _recorded.Enqueue((instrument.Meter, kind, outcome, value));
            });
            // Other tests' file systems publish the same gauge meanwhile: each meter's value is kept apart.
            _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => _stagedBytes[instrument.Meter] = value);
            _listener.Start();
        }

        private readonly ConcurrentDictionary<Meter, long> _stagedBytes = new();

        /// <summary>The staged-bytes gauge of <paramref name="fs"/> as observed now (-1 if it published none).</summary>
        public long MeasureStagedBytes(OctueFileSystem fs)
        {
            _stagedBytes.TryRemove(fs.Metrics.Meter, out _);
            _listener.RecordObservableInstruments();
            return _stagedBytes.TryGetValue(fs.Metrics.Meter, out var value) ? value : -1;
        }

        public List<(string Kind, string Outcome, double Seconds)> Of(OctueFileSystem fs) =>
            _recorded.Where(r => r.Meter == fs.Metrics.Meter).Select(r => (r.Kind, r.Outcome, r.Seconds)).ToList();

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task Each_store_call_records_one_duration_with_its_kind_and_outcome()
    {
        var bucket = _fixture.NewBucket("durations");
        _fixture.Put(bucket, "a.txt", "a");
        using var counters = new FileSystemCounters();
        using var durations = new Durations();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var fs = mount.Fs;
        Assert.Equal("a"u8.ToArray(), await mount.ReadAllAsync("a.txt"));
        _fixture.Emulator.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = 403, Bucket = bucket, RequestKind = RequestKind.Upload });
        Assert.NotEqual(VfsError.None, await mount.WriteFileAsync(IFileSystem.RootId, "refused.txt", "no"u8.ToArray()));

        var recorded = durations.Of(fs);
        Assert.All(recorded, r => Assert.True(r.Seconds >= 0));
        foreach (var kind in new[] { StoreRequestKind.List, StoreRequestKind.Stat, StoreRequestKind.Read, StoreRequestKind.Upload })
            Assert.Equal(counters.Get(fs, $"octue.mount.store.requests/{kind}"), recorded.Count(r => r.Kind == kind));
        Assert.Contains(recorded, r => r is { Kind: StoreRequestKind.Read, Outcome: "ok" });
        Assert.Contains(recorded, r => r is { Kind: StoreRequestKind.Upload, Outcome: "error" });
        Assert.DoesNotContain(recorded, r => r is { Kind: StoreRequestKind.Upload, Outcome: "ok" });
    }

    [Fact]
    public async Task Staged_bytes_are_those_written_and_not_yet_uploaded_and_uploaded_bytes_count_them_once_up()
    {
        var bucket = _fixture.NewBucket("staged");
        using var counters = new FileSystemCounters();
        using var durations = new Durations();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var fs = mount.Fs;
        Assert.Equal(0, durations.MeasureStagedBytes(fs));

        var created = await fs.CreateAsync(IFileSystem.RootId, "open.bin", 0b110_100_100, OpenFlags.Write);
        Assert.True(created.IsOk);
        var data = new byte[100_000];
        new Random(3).NextBytes(data);
        // Written at an offset, so the file is staged on disk rather than streamed: 10 bytes past the data.
        Assert.True((await fs.WriteAsync(created.Value.Handle, 10, data)).IsOk);
        Assert.Equal(data.Length + 10, durations.MeasureStagedBytes(fs));
        Assert.Equal(0, counters.Get(fs, "octue.mount.vfs.uploaded_bytes"));

        Assert.Equal(VfsError.None, await fs.ReleaseAsync(created.Value.Handle));
        Assert.Equal(0, durations.MeasureStagedBytes(fs));
        Assert.Equal(data.Length + 10, counters.Get(fs, "octue.mount.vfs.uploaded_bytes"));
        Assert.Equal(1, counters.Get(fs, "octue.mount.vfs.uploads"));
    }
}
