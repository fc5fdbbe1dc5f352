using System.Diagnostics.Metrics;
using Octue.Mount.Caching;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// The start-up warm-up: it runs every path it is meant to compile to the answer the in-memory bucket gives (a step
/// that fails throws, naming it), leaves nothing in the temporary folder, and none of its work reaches the mount's
/// metrics.
/// </summary>
public sealed class FirstUseWarmUpTests
{
    private static FileSystemOptions MountOptions() => new()
    {
        Source = MountSource.Parse("gs://the-mounted-bucket", null),
        CacheDirectory = Path.Combine(Path.GetTempPath(), "not-used-by-the-warm-up"),
    };

    private static string[] WarmUpFolders() =>
        Directory.GetDirectories(Path.GetTempPath(), $"octue-mount-warm-up-{Environment.ProcessId}-*");

    [Fact]
    public async Task Runs_every_path_and_leaves_no_folder_behind()
    {
        var before = WarmUpFolders();
        await FirstUseWarmUp.RunAsync(MountOptions());
        Assert.Equal(before, WarmUpFolders());
        Assert.False(Directory.Exists(MountOptions().CacheDirectory));
    }

    [Fact]
    public async Task Counts_nothing_on_the_mounts_meter()
    {
        var onProductMeter = 0;
        var onWarmUpMeter = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name is CachingMetrics.MeterName or WarmUpScope.MeterName)
                l.EnableMeasurementEvents(instrument);
        };
        // Measurements are reported on the thread (and in the async flow) that made them: the warm-up's are the
        // ones made while its scope is active. Other tests' file systems may count on the product's meter meanwhile.
        listener.SetMeasurementEventCallback<long>((instrument, _, _, _) =>
        {
            if (!WarmUpScope.Active)
                return;
            if (instrument.Meter.Name == CachingMetrics.MeterName)
                Interlocked.Increment(ref onProductMeter);
            else
                Interlocked.Increment(ref onWarmUpMeter);
        });
        listener.Start();

        await FirstUseWarmUp.RunAsync(MountOptions());

        Assert.Equal(0, Volatile.Read(ref onProductMeter));
        Assert.True(Volatile.Read(ref onWarmUpMeter) > 0, "the warm-up's own file system counted nothing: did it run?");
    }

    [Fact]
    public async Task Stops_when_cancelled()
    {
        var before = WarmUpFolders();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => FirstUseWarmUp.RunAsync(MountOptions(), null, cancelled.Token));
        Assert.Equal(before, WarmUpFolders());
    }

    [Fact]
    public async Task Waits_while_the_mount_is_being_used()
    {
        long storeRequests = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WarmUpScope.MeterName && instrument.Name == "octue.mount.store.requests")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref storeRequests, value));
        listener.Start();

        // A mount in use: every look at its request count finds it moved.
        var busy = true;
        long requests = 0;
        var warmUp = FirstUseWarmUp.RunAsync(MountOptions(), () => Volatile.Read(ref busy) ? Interlocked.Increment(ref requests) : requests);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        // Only the source check of its file system (made when it is created, before any step) may have gone out.
        Assert.InRange(Interlocked.Read(ref storeRequests), 0, 1);
        Assert.False(warmUp.IsCompleted);

        Volatile.Write(ref busy, false);
        await warmUp;
        Assert.True(Interlocked.Read(ref storeRequests) > 1);
    }

    [Fact]
    public async Task Removes_the_folders_of_warm_ups_whose_process_is_gone()
    {
        using var ended = System.Diagnostics.Process.Start("true")!;
        await ended.WaitForExitAsync();
        string abandoned = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"octue-mount-warm-up-{ended.Id}-abandoned")).FullName;
        Directory.CreateDirectory(Path.Combine(abandoned, "content"));
        string ours = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"octue-mount-warm-up-{Environment.ProcessId}-running")).FullName;
        try
        {
            await FirstUseWarmUp.RunAsync(MountOptions());

            Assert.False(Directory.Exists(abandoned));
            Assert.True(Directory.Exists(ours), "a folder of a process still running was removed");
        }
        finally
        {
            Directory.Delete(ours, recursive: true);
            if (Directory.Exists(abandoned))
                Directory.Delete(abandoned, recursive: true);
        }
    }
}
