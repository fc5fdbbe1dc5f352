using System.Text;
using Octue.Mount.Caching;
using Octue.Mount.Tests.Caching;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// The 256 MiB object of <see cref="EmulatorReadFixture"/> read through the file system itself (lookup, open,
/// ReadAsync as the kernel sends them), not through the read path alone: every byte is compared with the generated
/// data, and a full sequential read ends verified.
/// </summary>
[Collection(LargeObjectCollection.Name)]
public sealed class LargeObjectReadTests : IDisposable
{
    private const int KernelReadSize = 128 * 1024;
    private const int ChunkSize = 8 * 1024 * 1024;
    private readonly EmulatorReadFixture _fixture;
    private readonly TempDirectory _cacheFolder = new();

    public LargeObjectReadTests(EmulatorReadFixture fixture)
    {
        _fixture = fixture;
        _fixture.Emulator.Faults.Clear();
    }

    public void Dispose() => _cacheFolder.Dispose();

    private Task<OctueFileSystem> MountAsync() => OctueFileSystem.CreateAsync(new FileSystemOptions
    {
        Source = MountSource.Parse($"gs://{EmulatorReadFixture.Bucket}", null),
        CacheDirectory = _cacheFolder.Path,
        Read = new ReadOptions { ChunkSize = ChunkSize },
    }, _fixture.Store);

    private static async Task<NodeAttributes> LookupLargeAsync(OctueFileSystem fs)
    {
        var current = IFileSystem.RootId;
        NodeAttributes found = default;
        foreach (var segment in EmulatorReadFixture.LargeName.Split('/'))
        {
            var result = await fs.LookupAsync(current, segment);
            Assert.True(result.IsOk, $"lookup of {segment} failed with {result.Error}");
            found = result.Value;
            current = found.NodeId;
        }

        return found;
    }

    private static async Task<string> IntegrityAsync(OctueFileSystem fs, ulong node)
    {
        var value = await fs.GetXattrAsync(node, "user.octue.integrity");
        Assert.True(value.IsOk, $"getxattr failed with {value.Error}");
        return Encoding.UTF8.GetString(value.Value);
    }

    [Fact]
    public async Task Sequential_128_KiB_reads_through_the_file_system_return_exactly_the_256_MiB_and_end_verified()
    {
        byte[] data = _fixture.LargeData;
        await using var fs = await MountAsync();
        var file = await LookupLargeAsync(fs);
        Assert.Equal(NodeKind.File, file.Kind);
        Assert.Equal(data.Length, file.Size);
        Assert.Equal("unverified", await IntegrityAsync(fs, file.NodeId));

        var handle = await fs.OpenAsync(file.NodeId, OpenFlags.Read);
        Assert.True(handle.IsOk, $"open failed with {handle.Error}");
        try
        {
            byte[] buffer = new byte[KernelReadSize];
            long offset = 0;
            while (true)
            {
                var read = await fs.ReadAsync(handle.Value, offset, buffer);
                Assert.True(read.IsOk, $"read at {offset} failed with {read.Error}");
                if (read.Value == 0)
                {
                    break;
                }

                Assert.Equal((int)Math.Min(KernelReadSize, data.Length - offset), read.Value);
                if (!buffer.AsSpan(0, read.Value).SequenceEqual(data.AsSpan((int)offset, read.Value)))
                {
                    Assert.Fail($"bytes differ in the read at {offset}");
                }

                offset += read.Value;
            }

            Assert.Equal(data.Length, offset);
            Assert.Equal("verified", await IntegrityAsync(fs, file.NodeId));
        }
        finally
        {
            await fs.ReleaseAsync(handle.Value);
        }

        Assert.Equal("verified", await IntegrityAsync(fs, file.NodeId));
    }

    [Fact]
    public async Task Random_reads_through_the_file_system_across_chunk_boundaries_and_past_the_end_return_exactly_its_bytes()
    {
        byte[] data = _fixture.LargeData;
        long size = data.Length;
        const int chunk = ChunkSize;
        await using var fs = await MountAsync();
        var file = await LookupLargeAsync(fs);
        var handle = await fs.OpenAsync(file.NodeId, OpenFlags.Read);
        Assert.True(handle.IsOk, $"open failed with {handle.Error}");
        try
        {
            Random random = new(2561);
            var reads = new List<(long Offset, int Length)>();
            // Reads that straddle every chunk boundary, by a random amount on each side.
            for (long boundary = chunk; boundary < size; boundary += chunk)
            {
                int before = random.Next(1, 64 * 1024);
                reads.Add((boundary - before, before + random.Next(1, 256 * 1024)));
            }

            // Reads anywhere, of any size up to two chunks (so some span three chunks).
            for (int i = 0; i < 200; i++)
            {
                reads.Add((random.NextInt64(0, size), random.Next(1, (2 * chunk) + 1)));
            }

            // Reads that end past the end, start at it and start beyond it.
            reads.Add((size - 1000, KernelReadSize));
            reads.Add((size - chunk - 10, 2 * chunk));
            reads.Add((size, KernelReadSize));
            reads.Add((size + 12_345, KernelReadSize));
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(reads));

            byte[] buffer = new byte[2 * chunk];
            foreach (var (offset, length) in reads)
            {
                var read = await fs.ReadAsync(handle.Value, offset, buffer.AsMemory(0, length));
                Assert.True(read.IsOk, $"read of {length} at {offset} failed with {read.Error}");
                int expected = (int)Math.Clamp(size - offset, 0, length);
                Assert.Equal(expected, read.Value);
                if (!buffer.AsSpan(0, read.Value).SequenceEqual(data.AsSpan((int)Math.Min(offset, size), read.Value)))
                {
                    Assert.Fail($"bytes differ in the read of {length} at {offset}");
                }
            }

            Assert.NotEqual("failed", await IntegrityAsync(fs, file.NodeId));
        }
        finally
        {
            await fs.ReleaseAsync(handle.Value);
        }
    }
}
