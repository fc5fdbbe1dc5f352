using System.Diagnostics;
using System.Globalization;
using Octue.Mount.Caching;
using Octue.Mount.Emulator;
using Octue.Mount.Storage;

namespace Octue.Mount.Benchmarks;

/// <summary>
/// Sequential read of one large object through <see cref="ObjectReaderFactory"/> (cold cache, then warm cache after a
/// "remount") against a direct <see cref="IObjectStore.OpenReadAsync"/> stream of the same object, in one run, against
/// the in-process emulator over HTTP. Reads are 128 KiB, as FUSE sends them. Prints MB/s and ratios to direct.
/// A console benchmark rather than BenchmarkDotNet: one iteration moves hundreds of MiB through a cache folder, and
/// cold/warm are states, not repetitions.
///   dotnet run -c Release --project bench/Octue.Mount.Benchmarks -- read-path [--size-mib 512] [--rounds 3] [--latency-ms 40] [--parallelism 4] [--chunk-mib 8]
/// </summary>
internal static class ReadPathBenchmark
{
    private const string Bucket = "bench";
    private const string Name = "large.bin";
    private const int ReadSize = 128 * 1024;

    public static async Task RunAsync(string[] args)
    {
        int sizeMiB = IntOption(args, "--size-mib", 512);
        int rounds = IntOption(args, "--rounds", 3);
        int latencyMs = IntOption(args, "--latency-ms", 40);
        ReadOptions defaults = new()
        {
            Parallelism = IntOption(args, "--parallelism", 4),
            ChunkSize = IntOption(args, "--chunk-mib", 8) * 1024 * 1024,
        };

        await using GcsEmulator emulator = await GcsEmulator.StartAsync();
        emulator.Store.CreateBucket(Bucket);
        byte[] data = new byte[sizeMiB * 1024L * 1024L];
        new Random(7).NextBytes(data);
        emulator.Store.PutObject(Bucket, Name, data);
        IObjectStore store = GcsObjectStore.Create(new ObjectStoreOptions { EmulatorHost = emulator.HostAndPort });
        ObjectInfo obj = (await store.StatAsync(Bucket, Name))!;

        Console.WriteLine($"Object: {sizeMiB} MiB; reads of {ReadSize / 1024} KiB; ChunkSize {defaults.ChunkSize >> 20} MiB, " +
            $"Parallelism {defaults.Parallelism}, MemoryBudget {defaults.MemoryBudget >> 20} MiB; {rounds} rounds (median)");
        Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");

        await RunScenarioAsync(emulator, store, obj, defaults, rounds, "no added latency");
        if (latencyMs > 0)
        {
            // Real GCS answers each request after tens of milliseconds: one stream pays it once, chunked reads once
            // per chunk, in parallel.
            emulator.Faults.Add(new FaultRule
            {
                Kind = FaultKind.Delay, RequestKind = RequestKind.Download, Delay = TimeSpan.FromMilliseconds(latencyMs), Times = int.MaxValue,
            });
            await RunScenarioAsync(emulator, store, obj, defaults, rounds, $"{latencyMs} ms before each download's first byte");
            emulator.Faults.Clear();
        }
    }

    private static async Task RunScenarioAsync(GcsEmulator emulator, IObjectStore store, ObjectInfo obj, ReadOptions defaults, int rounds, string scenario)
    {
        List<double> direct = [], cold = [], warm = [];
        long coldPeak = 0, coldAllocated = 0, warmAllocated = 0, warmDownloads = 0;
        for (int round = 0; round < rounds; round++)
        {
            direct.Add(await TimeAsync(() => ReadDirectAsync(store, obj)));

            string cacheFolder = Path.Combine(Path.GetTempPath(), "octue-mount-bench-" + Guid.NewGuid().ToString("N"));
            try
            {
                ReadOptions options = defaults with { CacheDirectory = cacheFolder };
                await using (ObjectReaderFactory factory = new(store, ContentCache.Create(options), options))
                {
                    long allocatedBefore = GC.GetTotalAllocatedBytes();
                    cold.Add(await TimeAsync(() => ReadThroughAsync(factory, obj)));
                    coldAllocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
                    coldPeak = Math.Max(coldPeak, factory.Budget.Peak);
                    Check(factory.GetIntegrity(obj.Bucket, obj.Name, obj.Generation) == IntegrityState.Verified, "the cold read verified the object");
                }

                long downloadsBefore = emulator.Requests.Count(RequestKind.Download);
                await using (ObjectReaderFactory factory = new(store, ContentCache.Create(options), options))
                {
                    long allocatedBefore = GC.GetTotalAllocatedBytes();
                    warm.Add(await TimeAsync(() => ReadThroughAsync(factory, obj)));
                    warmAllocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
                }
                warmDownloads = emulator.Requests.Count(RequestKind.Download) - downloadsBefore;
            }
            finally
            {
                Directory.Delete(cacheFolder, recursive: true);
            }
        }

        long reads = obj.Size / ReadSize;
        double directMBps = Throughput(obj.Size, Median(direct));
        double coldMBps = Throughput(obj.Size, Median(cold));
        double warmMBps = Throughput(obj.Size, Median(warm));
        Console.WriteLine();
        Console.WriteLine($"Scenario: {scenario}");
        Console.WriteLine();
        Console.WriteLine("| read | median time | MB/s | ratio to direct |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine(Row("direct OpenReadAsync stream", Median(direct), directMBps, 1));
        Console.WriteLine(Row("ObjectReader, cold cache", Median(cold), coldMBps, coldMBps / directMBps));
        Console.WriteLine(Row("ObjectReader, warm cache (after remount)", Median(warm), warmMBps, warmMBps / directMBps));
        Console.WriteLine();
        Console.WriteLine($"Budget peak (cold): {coldPeak >> 20} MiB of {defaults.MemoryBudget >> 20} MiB; downloads during the warm read: {warmDownloads}");
        Console.WriteLine($"Managed allocations per 128 KiB read: cold {coldAllocated / reads} B, warm {warmAllocated / reads} B");
    }

    private static async Task ReadDirectAsync(IObjectStore store, ObjectInfo obj)
    {
        byte[] buffer = new byte[ReadSize];
        await using Stream stream = await store.OpenReadAsync(obj.Bucket, obj.Name, 0, null, obj.Generation);
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            total += n;
        }
        Check(total == obj.Size, "the direct stream read the whole object");
    }

    private static async Task ReadThroughAsync(ObjectReaderFactory factory, ObjectInfo obj)
    {
        byte[] buffer = new byte[ReadSize];
        await using IObjectReader reader = factory.OpenReader(obj);
        long offset = 0;
        int n;
        while ((n = await reader.ReadAsync(offset, buffer)) > 0)
        {
            offset += n;
        }
        Check(offset == obj.Size, "the reader read the whole object");
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        Stopwatch watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static double Throughput(long bytes, double seconds) => bytes / seconds / 1e6;

    private static string Row(string name, double seconds, double mbps, double ratio) =>
        string.Create(CultureInfo.InvariantCulture, $"| {name} | {seconds:F2} s | {mbps:F0} | {ratio:F2} |");

    private static int IntOption(string[] args, string name, int fallback)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"Benchmark sanity check failed: {what}.");
        }
    }
}
