using System.Numerics;
using System.Runtime.InteropServices;

namespace Octue.Mount.Emulator;

/// <summary>The hashes GCS reports for an object.</summary>
internal static class ObjectChecksums
{
    public static uint Crc32c(ReadOnlySpan<byte> data) => AppendCrc32c(0, data);

    public static uint AppendCrc32c(uint crc, ReadOnlySpan<byte> data)
    {
        var state = ~crc;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var word in words)
            state = BitOperations.Crc32C(state, word);
        foreach (var b in data[(words.Length * sizeof(ulong))..])
            state = BitOperations.Crc32C(state, b);
        return ~state;
    }
}
