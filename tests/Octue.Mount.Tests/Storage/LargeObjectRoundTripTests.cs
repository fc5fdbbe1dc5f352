using System.Buffers;
using System.Diagnostics;
using Xunit.Abstractions;
using Octue.Mount.Integrity;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Storage;

/// <summary>
/// A 1 GiB object goes up and comes back through GcsObjectStore and the emulator with its hashes checked both
/// ways: the server verifies the CRC32C/MD5 sent with the upload and the store compares the stored hashes; the
/// download is verified by the store's stream and compared byte for byte with the generator. Content is generated
/// from positions, so the test holds no copy of it (the emulator holds the one stored copy).
/// </summary>
public sealed class LargeObjectRoundTripTests(StoreFixture fixture, ITestOutputHelper output) : IClassFixture<StoreFixture>
{
    private const long Size = 1L << 30;
    private const int Seed = 20261125;

    [Fact]
    public async Task A_one_gibibyte_object_round_trips_with_hashes_verified_both_ways()
    {
        string bucket = fixture.NewBucket();
        var clock = Stopwatch.StartNew();
        uint expectedCrc = Crc32COf(new GeneratedStream(Size, Seed));
        output.WriteLine($"generate + hash: {clock.Elapsed.TotalSeconds:F1} s");

        clock.Restart();
        ObjectInfo uploaded = await fixture.Store.UploadAsync(bucket, "large/one-gib.bin", new GeneratedStream(Size, Seed));
        Assert.Equal(Size, uploaded.Size);
        Assert.Equal(expectedCrc, uploaded.Crc32c);
        output.WriteLine($"upload: {clock.Elapsed.TotalSeconds:F1} s");

        ObjectInfo? stat = await fixture.Store.StatAsync(bucket, "large/one-gib.bin");
        Assert.Equal(expectedCrc, stat!.Crc32c);

        clock.Restart();
        byte[] table = GeneratedStream.Table(Seed);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        byte[] expected = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            await using Stream read = await fixture.Store.OpenReadAsync(bucket, "large/one-gib.bin");
            var crc = new Crc32CHasher();
            long position = 0;
            int n;
            while ((n = await read.ReadAsync(buffer.AsMemory(0, 1 << 20))) > 0)
            {
                GeneratedStream.Fill(table, position, expected.AsSpan(0, n));
                Assert.True(buffer.AsSpan(0, n).SequenceEqual(expected.AsSpan(0, n)), $"bytes differ in the block at {position}");
                crc.Append(buffer.AsSpan(0, n));
                position += n;
            }
            output.WriteLine($"download + compare: {clock.Elapsed.TotalSeconds:F1} s");
            Assert.Equal(Size, position);
            Assert.Equal(expectedCrc, crc.Value);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<byte>.Shared.Return(expected);
            await fixture.Store.DeleteAsync(bucket, "large/one-gib.bin");
        }
    }

    private static uint Crc32COf(Stream stream)
    {
        byte[] buffer = new byte[1 << 20];
        var crc = new Crc32CHasher();
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            crc.Append(buffer.AsSpan(0, n));
        }
        return crc.Value;
    }
}
