namespace Octue.Mount.Integrity;

/// <summary>
/// CRC-32C (Castagnoli), the checksum GCS keeps for every object. Values are the standard finalized CRC
/// (initial value and final XOR 0xFFFFFFFF), e.g. "123456789" gives 0xE3069283.
/// Uses the CPU's CRC-32C instruction when present and a table fallback otherwise.
/// </summary>
public static class Crc32C
{
    /// <summary>True when the CPU instruction is used.</summary>
    public static bool IsHardwareAccelerated => Crc32CHardware.IsSupported;

    /// <summary>CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>CRC-32C of the bytes summarised by <paramref name="crc"/> followed by <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint register = ~crc;
        register = Crc32CHardware.IsSupported ? Crc32CHardware.Update(register, data) : Crc32CSoftware.Update(register, data);
        return ~register;
    }

    /// <summary>
    /// CRC-32C of A followed by B, given the CRC of A, the CRC of B and the length of B, without the bytes:
    /// chunks hashed in parallel (or by different parties) join into the CRC of the whole.
    /// </summary>
    public static uint Combine(uint crcA, uint crcB, long lengthB)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lengthB);
        // The inversions cancel: crc(A||B) = crcA·x^(8·|B|) mod P XOR crcB.
        return Crc32CPolynomial.Multiply(Crc32CPolynomial.ShiftForBytes(lengthB), crcA) ^ crcB;
    }

    /// <summary>The table implementation, whatever the CPU; exposed for tests and benchmarks.</summary>
    internal static uint AppendPortable(uint crc, ReadOnlySpan<byte> data) => ~Crc32CSoftware.Update(~crc, data);
}
