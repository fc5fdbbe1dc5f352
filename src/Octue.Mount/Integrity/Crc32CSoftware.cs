using System.Buffers.Binary;

namespace Octue.Mount.Integrity;

/// <summary>
/// Portable CRC-32C over the raw register (no pre/post inversion), slicing by eight bytes with eight tables.
/// Used where the CPU has no CRC-32C instruction, and as the reference the hardware path is tested against.
/// </summary>
internal static class Crc32CSoftware
{
    private static readonly uint[] Tables = BuildTables();

    public static uint Update(uint register, ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<uint> t = Tables;
        while (data.Length >= 8)
        {
            uint low = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ register;
            uint high = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            register = t[(7 * 256) + (int)(low & 0xFF)]
                ^ t[(6 * 256) + (int)((low >> 8) & 0xFF)]
                ^ t[(5 * 256) + (int)((low >> 16) & 0xFF)]
                ^ t[(4 * 256) + (int)(low >> 24)]
                ^ t[(3 * 256) + (int)(high & 0xFF)]
                ^ t[(2 * 256) + (int)((high >> 8) & 0xFF)]
                ^ t[256 + (int)((high >> 16) & 0xFF)]
                ^ t[(int)(high >> 24)];
            data = data[8..];
        }
        foreach (byte b in data)
        {
            register = t[(int)((register ^ b) & 0xFF)] ^ (register >> 8);
        }
        return register;
    }

    private static uint[] BuildTables()
    {
        var tables = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            uint crc = i;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ Crc32CPolynomial.Reflected : crc >> 1;
            }
            tables[i] = crc;
        }
        // Table k advances a byte that sits k bytes before the end of an eight-byte group.
        for (int k = 1; k < 8; k++)
        {
            for (int i = 0; i < 256; i++)
            {
                uint previous = tables[((k - 1) * 256) + i];
                tables[(k * 256) + i] = tables[(int)(previous & 0xFF)] ^ (previous >> 8);
            }
        }
        return tables;
    }
}
