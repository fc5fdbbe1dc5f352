using System.Runtime.InteropServices;

namespace Octue.Mount.Tests.Caching;

/// <summary>Deterministic pseudo-random test bytes (xorshift64*), the same for a seed on every run.</summary>
internal static class PatternData
{
    public static byte[] Create(int length, ulong seed)
    {
        byte[] data = GC.AllocateUninitializedArray<byte>(length);
        Fill(data, seed);
        return data;
    }

    public static void Fill(Span<byte> destination, ulong seed)
    {
        ulong state = seed | 1;
        Span<ulong> words = MemoryMarshal.Cast<byte, ulong>(destination);
        for (int i = 0; i < words.Length; i++)
        {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            words[i] = state * 0x2545F4914F6CDD1DUL;
        }
        for (int i = words.Length * 8; i < destination.Length; i++)
        {
            destination[i] = (byte)(i * 31 + (int)seed);
        }
    }
}
