using Octue.Mount.Caching;
using Octue.Mount.Integrity;

namespace Octue.Mount.Tests.Caching;

/// <summary>
/// One cached chunk on disk: its header (block CRC32Cs, guarded by a CRC32C of its own) reads back as written, the
/// bytes start on a page boundary, and a header that was damaged, cut short or written for another length is refused.
/// </summary>
public sealed class ChunkFileTests : IDisposable
{
    private const int Length = (2 * ChunkLayout.BlockSize) + 1000; // a short last block
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_written_chunk_reads_back_with_its_block_crcs_and_its_bytes_on_a_page_boundary()
    {
        byte[] data = PatternData.Create(Length, seed: 11);
        string path = await WriteAsync(data);

        using var handle = File.OpenHandle(path);
        uint[]? crcs = await ChunkFile.ReadHeaderAsync(handle, Length, default);
        Assert.NotNull(crcs);
        Assert.Equal(3, crcs.Length);
        Assert.Equal(Crc32C.Compute(data.AsSpan(2 * ChunkLayout.BlockSize)), crcs[2]);
        Assert.Equal(Crc32C.Compute(data), ChunkFile.CombineBlocks(crcs, Length));

        int offset = ChunkFile.DataOffset(crcs.Length);
        Assert.Equal(0, offset % 4096);
        byte[] back = new byte[Length];
        Assert.Equal(Length, await ChunkFile.ReadFullyAsync(handle, back, offset, default));
        Assert.Equal(data, back);
    }

    [Theory]
    [InlineData(4 * 1024 * 1024)]        // whole blocks, pieces of the bounce buffer
    [InlineData((4 * 1024 * 1024) + 1000)] // a last piece padded and cut back
    [InlineData(100)]                     // less than one device block
    public async Task A_chunk_file_is_written_around_the_page_cache_where_the_file_system_allows_it(int length)
    {
        byte[] data = PatternData.Create(length, seed: 3);
        uint[] crcs = new uint[ChunkLayout.BlockCount(length)];
        ChunkFile.ComputeBlockCrcs(data, crcs);
        string path = Path.Combine(_folder.Path, "direct.chunk");
        bool unbuffered = await ChunkFile.WriteAsync(new UnbufferedFileWriter(), path, data, crcs, default);

        string fileSystem = Run("stat", "-f", "-c", "%T", _folder.Path);
        if (OperatingSystem.IsLinux() && fileSystem is "ext2/ext3" or "xfs" or "btrfs")
        {
            Assert.True(unbuffered, $"a chunk file on {fileSystem} should be written with O_DIRECT");
            // None of its bytes were copied into the page cache (fincore: resident bytes of the file).
            Assert.Equal("0", Run("fincore", "--bytes", "--noheadings", "--output", "RES", path));
        }

        int offset = ChunkFile.DataOffset(crcs.Length);
        Assert.Equal(offset + (long)length, new FileInfo(path).Length);
        using var handle = File.OpenHandle(path);
        Assert.Equal(crcs, await ChunkFile.ReadHeaderAsync(handle, length, default));
        byte[] back = new byte[length];
        Assert.Equal(length, await ChunkFile.ReadFullyAsync(handle, back, offset, default));
        Assert.Equal(data, back);
    }

    [Theory]
    [InlineData(8 * 1024 * 1024)]          // a whole chunk: written straight from its buffer
    [InlineData((4 * 1024 * 1024) + 1000)] // all but the last part-page straight from the buffer
    [InlineData(100)]                      // less than a page: only through the bounce buffer
    public async Task A_chunk_in_a_chunk_buffer_is_written_from_it_without_a_copy_and_reads_back_whole(int length)
    {
        var buffer = new ChunkBuffer(8 * 1024 * 1024);
        byte[] data = PatternData.Create(length, seed: 4);
        data.CopyTo(buffer.Span);
        uint[] crcs = new uint[ChunkLayout.BlockCount(length)];
        ChunkFile.ComputeBlockCrcs(data, crcs);
        var writer = new UnbufferedFileWriter();
        string path = Path.Combine(_folder.Path, "aligned.chunk");

        bool unbuffered = await ChunkFile.WriteAsync(writer, path, buffer.Memory[..length], crcs, default);

        string fileSystem = Run("stat", "-f", "-c", "%T", _folder.Path);
        if (fileSystem is "ext2/ext3" or "xfs" or "btrfs")
        {
            Assert.True(unbuffered);
            // The header and what is left past the last whole page; none of the chunk's whole pages.
            Assert.Equal(ChunkFile.DataOffset(crcs.Length) + (length % UnbufferedFileWriter.Alignment), writer.BouncedBytes);
        }
        using var handle = File.OpenHandle(path);
        Assert.Equal(crcs, await ChunkFile.ReadHeaderAsync(handle, length, default));
        byte[] back = new byte[length];
        Assert.Equal(length, await ChunkFile.ReadFullyAsync(handle, back, ChunkFile.DataOffset(crcs.Length), default));
        Assert.Equal(data, back);
    }

    [Fact]
    public void Chunk_buffers_start_on_a_page_and_the_pool_reuses_them_up_to_its_bound()
    {
        var pool = new ChunkBufferPool(chunkSize: 64 * 1024, maxIdle: 1);
        ChunkBuffer first = pool.Rent(64 * 1024);
        ChunkBuffer second = pool.Rent(1000);
        foreach (ChunkBuffer buffer in new[] { first, second })
        {
            Assert.Equal(64 * 1024, buffer.Capacity);
            Assert.Equal(0, AddressOf(buffer) % UnbufferedFileWriter.Alignment);
        }
        pool.Return(first);
        pool.Return(second); // past the bound: dropped
        Assert.Same(first, pool.Rent(10));
        Assert.NotSame(second, pool.Rent(10));
    }

    private static unsafe long AddressOf(ChunkBuffer buffer)
    {
        fixed (byte* start = buffer.Span)
        {
            return (long)start;
        }
    }

    [Fact]
    public async Task A_folder_whose_file_system_refuses_unbuffered_writes_is_written_buffered_without_asking_again()
    {
        // ramfs (Linux) has no unbuffered I/O: open(2) with O_DIRECT fails there with EINVAL.
        string folder = Path.Combine(_folder.Path, "ramfs");
        Directory.CreateDirectory(folder);
        Run("mount", "-t", "ramfs", "ramfs", folder);
        try
        {
            var writer = new UnbufferedFileWriter();
            for (int i = 0; i < 3; i++)
            {
                byte[] data = PatternData.Create(Length, seed: 20 + (ulong)i);
                uint[] crcs = new uint[ChunkLayout.BlockCount(Length)];
                ChunkFile.ComputeBlockCrcs(data, crcs);
                string path = Path.Combine(folder, $"{i}.chunk");
                Assert.False(await ChunkFile.WriteAsync(writer, path, data, crcs, default));

                using var handle = File.OpenHandle(path);
                Assert.Equal(crcs, await ChunkFile.ReadHeaderAsync(handle, Length, default));
                byte[] back = new byte[Length];
                Assert.Equal(Length, await ChunkFile.ReadFullyAsync(handle, back, ChunkFile.DataOffset(crcs.Length), default));
                Assert.Equal(data, back);
            }
            Assert.True(writer.Refused);
            Assert.Equal(1, writer.DirectOpens);
        }
        finally
        {
            Run("umount", "-l", folder);
        }
    }

    private static string Run(string tool, params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo(tool) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = System.Diagnostics.Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} failed ({process.ExitCode})");
        return output;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(ChunkLayout.BlockSize)]
    [InlineData(ChunkLayout.BlockSize + 7)]
    [InlineData(256 * 1024)]
    public void Block_crcs_appended_piece_by_piece_as_bytes_arrive_equal_those_of_the_whole_chunk(int largestPiece)
    {
        byte[] data = PatternData.Create(Length, seed: 5);
        uint[] whole = new uint[3];
        ChunkFile.ComputeBlockCrcs(data, whole);

        // Pieces of uneven sizes, as a socket hands them out, crossing block boundaries anywhere.
        var random = new Random(largestPiece);
        uint[] appended = new uint[3];
        int filled = 0;
        while (filled < Length)
        {
            int n = Math.Min(Length - filled, random.Next(1, largestPiece + 1));
            ChunkFile.AppendBlockCrcs(data, filled, filled + n, appended);
            filled += n;
        }
        Assert.Equal(whole, appended);
    }

    [Theory]
    [InlineData(0)]   // the magic number
    [InlineData(12)]  // the first block's CRC32C
    [InlineData(24)]  // the header's own CRC32C
    public async Task A_damaged_header_is_refused(int damagedByte)
    {
        string path = await WriteAsync(PatternData.Create(Length, seed: 12));
        byte[] file = await File.ReadAllBytesAsync(path);
        file[damagedByte] ^= 0x40;
        await File.WriteAllBytesAsync(path, file);

        using var handle = File.OpenHandle(path);
        Assert.Null(await ChunkFile.ReadHeaderAsync(handle, Length, default));
    }

    [Fact]
    public async Task A_file_cut_short_or_of_another_length_is_refused()
    {
        string path = await WriteAsync(PatternData.Create(Length, seed: 13));
        using (var handle = File.OpenHandle(path))
        {
            Assert.Null(await ChunkFile.ReadHeaderAsync(handle, Length - 1, default));
        }

        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(stream.Length - 1);
        }

        using (var handle = File.OpenHandle(path))
        {
            Assert.Null(await ChunkFile.ReadHeaderAsync(handle, Length, default));
        }
    }

    private async Task<string> WriteAsync(byte[] data)
    {
        uint[] crcs = new uint[ChunkLayout.BlockCount(data.Length)];
        ChunkFile.ComputeBlockCrcs(data, crcs);
        string path = Path.Combine(_folder.Path, Guid.NewGuid().ToString("N") + ".chunk");
        await ChunkFile.WriteAsync(new UnbufferedFileWriter(), path, data, crcs, default);
        return path;
    }
}
