using System.Text;
using Octue.Mount.Integrity;

namespace Octue.Mount.Tests.Integrity;

public sealed class Crc32CTests
{
    [Theory]
    [InlineData(new byte[] { 1, 2, 3 }, "8TDyHg==")] // from a bit-at-a-time reference implementation
    [InlineData(new byte[0], "AAAAAA==")]
    public void Matches_the_base64_vectors_of_raw_bytes(byte[] data, string expected)
    {
        Assert.Equal(expected, GcsHash.ToBase64(Crc32C.Compute(data)));
        Assert.Equal(expected, GcsHash.ToBase64(Crc32C.AppendPortable(0, data)));
    }

    // The SDK hashes the JSON text of its values: [1, 2, 3] is the nine characters "[1, 2, 3]".
    [Theory]
    [InlineData("[1, 2, 3]", "6NMauw==")]
    [InlineData("[4, 5, 6]", "dawSHg==")]
    [InlineData("This is a test upload.", "1mmhsg==")]
    [InlineData("{\"height\": 32}", "L3eGig==")]
    public void Matches_the_text_vectors_of_the_octue_sdk(string text, string expected)
    {
        byte[] data = Encoding.UTF8.GetBytes(text);
        Assert.Equal(expected, GcsHash.ToBase64(Crc32C.Compute(data)));
        Assert.Equal(expected, GcsHash.ToBase64(Crc32C.AppendPortable(0, data)));
    }

    [Fact]
    public void Check_value_of_123456789_is_E3069283()
    {
        byte[] data = Encoding.ASCII.GetBytes("123456789");
        Assert.Equal(0xE3069283u, Crc32C.Compute(data));
        Assert.Equal(0xE3069283u, Crc32C.AppendPortable(0, data));
    }

    [Fact]
    public void Empty_input_is_zero()
    {
        Assert.Equal(0u, Crc32C.Compute([]));
        Assert.Equal(0x12345678u, Crc32C.Append(0x12345678u, []));
    }

    [Fact]
    public void Known_rfc3720_vectors_hold()
    {
        // iSCSI (RFC 3720, B.4) test patterns.
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()));
    }

    // One bit at a time from the polynomial alone: shares no table, no shift and no instruction with the product.
    private static uint BitwiseReference(uint crc, ReadOnlySpan<byte> data)
    {
        uint register = ~crc;
        foreach (byte b in data)
        {
            register ^= b;
            for (int bit = 0; bit < 8; bit++)
                register = (register & 1) != 0 ? (register >> 1) ^ 0x82F63B78u : register >> 1;
        }
        return ~register;
    }

    [Fact]
    public void Every_path_agrees_with_a_bitwise_reference_on_short_unaligned_and_random_spans()
    {
        var random = new Random(20261207);
        byte[] buffer = new byte[64 * 1024];
        random.NextBytes(buffer);
        var spans = new List<(int Offset, int Length)>();
        for (int length = 0; length <= 64; length++)
            for (int offset = 0; offset < 16; offset++)
                spans.Add((offset, length));
        for (int trial = 0; trial < 60; trial++)
        {
            int length = random.Next(0, 40_000);
            spans.Add((random.Next(0, buffer.Length - length), length));
        }

        foreach (var (offset, length) in spans)
        {
            ReadOnlySpan<byte> span = buffer.AsSpan(offset, length);
            uint seed = (uint)random.Next();
            uint expected = BitwiseReference(seed, span);
            Assert.Equal(expected, Crc32C.Append(seed, span));
            Assert.Equal(expected, Crc32C.AppendPortable(seed, span));
        }
    }

    [Fact]
    public void Hardware_and_portable_agree_on_random_data_of_many_lengths_and_alignments()
    {
        var random = new Random(20261125);
        byte[] buffer = new byte[3 * 4096 * 3 + 100];
        random.NextBytes(buffer);
        int[] lengths = [.. Enumerable.Range(0, 70), 255, 256, 257, 4095, 4096, 4097, 12287, 12288, 12289, 24575, 24576, 24583, 3 * 4096 * 3];
        foreach (int length in lengths)
        {
            for (int alignment = 0; alignment < 9; alignment++)
            {
                ReadOnlySpan<byte> slice = buffer.AsSpan(alignment, length);
                uint seed = (uint)random.Next();
                uint portable = Crc32CSoftware.Update(seed, slice);
                // The instruction path is called directly so that the comparison holds whichever path Append picks.
                if (Crc32CHardware.IsSupported)
                    Assert.Equal(portable, Crc32CHardware.Update(seed, slice));
                Assert.Equal(Crc32C.AppendPortable(seed, slice), Crc32C.Append(seed, slice));
            }
        }
    }

    [Fact]
    public void Combine_agrees_with_one_shot_hashing_for_random_parts()
    {
        var random = new Random(5);
        byte[] data = new byte[200_000];
        random.NextBytes(data);
        for (int trial = 0; trial < 200; trial++)
        {
            int start = random.Next(0, data.Length);
            int lengthA = random.Next(0, data.Length - start + 1);
            int lengthB = random.Next(0, data.Length - start - lengthA + 1);
            ReadOnlySpan<byte> a = data.AsSpan(start, lengthA);
            ReadOnlySpan<byte> b = data.AsSpan(start + lengthA, lengthB);
            Assert.Equal(BitwiseReference(0, data.AsSpan(start, lengthA + lengthB)), Crc32C.Combine(Crc32C.Compute(a), Crc32C.Compute(b), lengthB));
        }
    }

    [Fact]
    public void Appending_in_pieces_equals_computing_the_whole()
    {
        var random = new Random(7);
        byte[] data = new byte[100_000];
        random.NextBytes(data);
        uint whole = Crc32C.Compute(data);
        for (int trial = 0; trial < 20; trial++)
        {
            var hasher = new Crc32CHasher();
            int position = 0;
            while (position < data.Length)
            {
                int piece = Math.Min(random.Next(0, 20_000), data.Length - position);
                hasher.Append(data.AsSpan(position, piece));
                position += piece;
            }
            Assert.Equal(whole, hasher.Value);
            Assert.Equal(data.Length, hasher.Length);
        }
    }

    [Fact]
    public void Combine_of_two_parts_equals_the_whole_for_every_split()
    {
        var random = new Random(11);
        byte[] data = new byte[1000];
        random.NextBytes(data);
        uint whole = Crc32C.Compute(data);
        for (int split = 0; split <= data.Length; split++)
        {
            uint a = Crc32C.Compute(data.AsSpan(0, split));
            uint b = Crc32C.Compute(data.AsSpan(split));
            Assert.Equal(whole, Crc32C.Combine(a, b, data.Length - split));
        }
    }

    [Fact]
    public void Combine_of_chunks_hashed_in_parallel_equals_the_whole()
    {
        var random = new Random(3);
        byte[] data = new byte[5 * 1024 * 1024 + 17];
        random.NextBytes(data);
        const int chunk = 256 * 1024;
        int chunks = (data.Length + chunk - 1) / chunk;
        var crcs = new uint[chunks];
        Parallel.For(0, chunks, i =>
        {
            int start = i * chunk;
            crcs[i] = Crc32C.Compute(data.AsSpan(start, Math.Min(chunk, data.Length - start)));
        });
        uint combined = crcs[0];
        for (int i = 1; i < chunks; i++)
        {
            combined = Crc32C.Combine(combined, crcs[i], Math.Min(chunk, data.Length - (i * chunk)));
        }
        Assert.Equal(Crc32C.Compute(data), combined);
    }

    [Fact]
    public void Combine_handles_lengths_beyond_half_a_gibibyte()
    {
        // A zero-filled B has a CRC that depends only on its length; Combine must agree with appending those zeros.
        // From 512 MiB on, 8·length needs x^(2^k) with k >= 32: the powers used for multi-gigabyte objects.
        byte[] head = Encoding.ASCII.GetBytes("123456789");
        uint crcA = Crc32C.Compute(head);
        const long zeros = (1L << 29) + 3; // 512 MiB + 3
        uint crcZeros = 0;
        uint expected = crcA;
        byte[] block = new byte[4 << 20];
        for (long done = 0; done < zeros;)
        {
            int n = (int)Math.Min(block.Length, zeros - done);
            crcZeros = Crc32C.Append(crcZeros, block.AsSpan(0, n));
            expected = Crc32C.Append(expected, block.AsSpan(0, n));
            done += n;
        }
        Assert.Equal(expected, Crc32C.Combine(crcA, crcZeros, zeros));
    }

    [Fact]
    public void Combine_with_an_empty_second_part_is_the_first()
    {
        Assert.Equal(0xE3069283u, Crc32C.Combine(0xE3069283u, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Crc32C.Combine(1, 2, -1));
    }
}
