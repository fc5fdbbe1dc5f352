using BenchmarkDotNet.Attributes;
using Octue.Mount.Integrity;

namespace Octue.Mount.Benchmarks;

/// <summary>
/// CRC-32C throughput: the hardware path (three interleaved streams) against the portable tables, on a buffer
/// that fits in cache (1 MiB) and one that does not (64 MiB). GB/s = bytes / mean time.
/// </summary>
[MemoryDiagnoser]
public class Crc32CBenchmarks
{
    private byte[] _data = [];

    [Params(1 << 20, 64 << 20)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size];
        new Random(42).NextBytes(_data);
    }

    [Benchmark(Baseline = true)]
    public uint Portable() => Crc32C.AppendPortable(0, _data);

    [Benchmark]
    public uint Hardware() => Crc32C.Compute(_data);
}
