using BenchmarkDotNet.Running;

// Runs the benchmarks named on the command line (BenchmarkDotNet's --filter), e.g.
//   dotnet run -c Release --project bench/Octue.Mount.Benchmarks -- --filter '*Crc32C*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
