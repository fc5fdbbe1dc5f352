namespace Octue.Mount.Integrity;

/// <summary>
/// Arithmetic on CRC-32C registers as polynomials over GF(2) modulo the Castagnoli polynomial, in the
/// bit-reflected representation the hardware instructions use (x^0 is the top bit, x^31 the lowest).
/// It is what lets CRCs computed separately (in parallel, or over interleaved streams) be joined.
/// </summary>
internal static class Crc32CPolynomial
{
    /// <summary>The Castagnoli polynomial 0x1EDC6F41, bit-reflected.</summary>
    public const uint Reflected = 0x82F63B78u;

    /// <summary>x^0 (the multiplicative identity) in the reflected representation.</summary>
    private const uint One = 1u << 31;

    /// <summary>x^(2^k) mod P for k = 0..66: enough for 8·n with any non-negative 64-bit byte count n.</summary>
    private static readonly uint[] PowersOfTwoPowers = BuildPowersOfTwoPowers();

    /// <summary>Returns a·b mod P.</summary>
    public static uint Multiply(uint a, uint b)
    {
        uint product = 0;
        // Walk a's coefficients from x^0 upwards while b steps through b·x^i mod P.
        for (uint bit = One; bit != 0; bit >>= 1)
        {
            if ((a & bit) != 0)
            {
                product ^= b;
                if ((a & (bit - 1)) == 0)
                {
                    break;
                }
            }
            b = (b & 1) != 0 ? (b >> 1) ^ Reflected : b >> 1;
        }
        return product;
    }

    /// <summary>Returns x^(8·byteCount) mod P: the operator that moves a register past <paramref name="byteCount"/> zero bytes.</summary>
    public static uint ShiftForBytes(long byteCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        uint power = One;
        // 8·n = n·2^3, so start at the table entry for 2^3 and walk n's bits.
        int k = 3;
        for (ulong n = (ulong)byteCount; n != 0; n >>= 1, k++)
        {
            if ((n & 1) != 0)
            {
                power = Multiply(PowersOfTwoPowers[k], power);
            }
        }
        return power;
    }

    /// <summary>
    /// Builds four 256-entry tables so that multiplying any register by a fixed power costs four lookups:
    /// the operator is linear, so it is the XOR of its action on each byte of the register.
    /// </summary>
    public static uint[] BuildMultiplyTable(uint power)
    {
        var table = new uint[4 * 256];
        for (int lane = 0; lane < 4; lane++)
        {
            for (uint value = 0; value < 256; value++)
            {
                table[(lane * 256) + (int)value] = Multiply(power, value << (8 * lane));
            }
        }
        return table;
    }

    /// <summary>Applies a table built by <see cref="BuildMultiplyTable"/>.</summary>
    public static uint MultiplyByTable(ReadOnlySpan<uint> table, uint register) =>
        table[(int)(register & 0xFF)]
        ^ table[256 + (int)((register >> 8) & 0xFF)]
        ^ table[512 + (int)((register >> 16) & 0xFF)]
        ^ table[768 + (int)(register >> 24)];

    private static uint[] BuildPowersOfTwoPowers()
    {
        var powers = new uint[67];
        powers[0] = One >> 1; // x^1
        for (int k = 1; k < powers.Length; k++)
        {
            powers[k] = Multiply(powers[k - 1], powers[k - 1]);
        }
        return powers;
    }
}
