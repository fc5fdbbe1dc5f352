using BenchmarkDotNet.Running;

// Runs the benchmarks named on the command line (BenchmarkDotNet's --filter), e.g.
//   dotnet run -c Release --project bench/Octue.Mount.Benchmarks -- --filter '*Crc32C*'
// The read path has its own console benchmark (cold and warm cache against direct reads, in one run):
//   dotnet run -c Release --project bench/Octue.Mount.Benchmarks -- read-path [--size-mib 512] [--rounds 3] [--latency-ms 40] [--parallelism 4] [--chunk-mib 8]
if (args.Length > 0 && args[0] == "read-path")
{
    await Octue.Mount.Benchmarks.ReadPathBenchmark.RunAsync(args[1..]);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
