using System.Diagnostics;
using Octue.Mount.Emulator;
using Octue.Mount.Octue;
using Octue.Mount.Storage;

// Dataset transfer throughput: uploads and downloads a dataset of many small files through the real client and the
// emulator (HTTP on 127.0.0.1), one file at a time and in parallel, and prints files/s for each.
//   dotnet run -c Release --project bench/Octue.Mount.TransferBench -- [files=1000] [bytes=1024] [parallelism=1,4,16,32] [rounds=2] [latencyMs=0]
// latencyMs delays every emulator request by that much, standing in for the round trip to Cloud Storage (tens of
// milliseconds from most machines), which is what parallel transfers hide; with 0 both ends share the same cores.
var files = args.Length > 0 ? int.Parse(args[0]) : 1000;
var size = args.Length > 1 ? int.Parse(args[1]) : 1024;
var degrees = args.Length > 2 ? args[2].Split(',').Select(int.Parse).ToArray() : [1, 4, 16, 32];
var rounds = args.Length > 3 ? int.Parse(args[3]) : 2;
var latency = TimeSpan.FromMilliseconds(args.Length > 4 ? int.Parse(args[4]) : 0);

var root = Path.Combine(Path.GetTempPath(), "octue-transfer-bench-" + Guid.NewGuid().ToString("N"));
await using var emulator = await GcsEmulator.StartAsync();
var store = GcsObjectStore.Create(new ObjectStoreOptions { EmulatorHost = emulator.HostAndPort });
try
{
    var source = Path.Combine(root, "dataset");
    var random = new Random(42);
    for (var i = 0; i < files; i++)
    {
        var path = Path.Combine(source, $"group_{i % 10}", $"file_{i:D5}.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[size];
        random.NextBytes(bytes);
        await File.WriteAllBytesAsync(path, bytes);
    }
    emulator.Store.CreateBucket("bench");

    // Warm up the client, the server and the JIT once.
    await Dataset.FromLocalDirectory(source).ToCloudAsync("gs://bench/warmup", new TransferOptions { Store = store, Parallelism = 16 });

    if (latency > TimeSpan.Zero)
        emulator.Faults.Add(new FaultRule { Kind = FaultKind.Delay, Delay = latency, Times = int.MaxValue });
    Console.WriteLine($"{files} files of {size} bytes, {Environment.ProcessorCount} cores, {rounds} rounds each (best shown), {latency.TotalMilliseconds} ms added per request");
    Console.WriteLine("| parallelism | upload files/s | download files/s |");
    Console.WriteLine("|---|---|---|");
    var run = 0;
    foreach (var degree in degrees)
    {
        double bestUp = 0, bestDown = 0;
        for (var round = 0; round < rounds; round++)
        {
            run++;
            var options = new TransferOptions { Store = store, Parallelism = degree };
            var dataset = Dataset.FromLocalDirectory(source);
            var watch = Stopwatch.StartNew();
            var uri = await dataset.ToCloudAsync($"gs://bench/run{run}", options);
            bestUp = Math.Max(bestUp, files / watch.Elapsed.TotalSeconds);

            var cloud = await Dataset.FromCloudAsync(uri, options);
            watch.Restart();
            await cloud.DownloadAsync(Path.Combine(root, $"download{run}"), options);
            bestDown = Math.Max(bestDown, files / watch.Elapsed.TotalSeconds);
            Directory.Delete(Path.Combine(root, $"download{run}"), recursive: true);
        }
        Console.WriteLine($"| {degree} | {bestUp:F0} | {bestDown:F0} |");
    }
}
finally
{
    (store as IDisposable)?.Dispose();
    if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
}
