using Octue.Mount.Caching;

namespace Octue.Mount.Tests.Caching;

public sealed class ChunkLayoutTests
{
    private const int Chunk = 4 * ChunkLayout.BlockSize;

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(Chunk - 1, 1)]
    [InlineData(Chunk, 1)]
    [InlineData(Chunk + 1, 2)]
    [InlineData(10L * Chunk, 10)]
    public void Counts_chunks_rounding_up(long size, int expected)
    {
        Assert.Equal(expected, new ChunkLayout(size, Chunk).ChunkCount);
    }

    [Fact]
    public void The_last_chunk_is_short_and_offsets_map_to_their_chunk()
    {
        ChunkLayout layout = new((3L * Chunk) + 100, Chunk);
        Assert.Equal(4, layout.ChunkCount);
        Assert.Equal(Chunk, layout.ChunkLength(0));
        Assert.Equal(100, layout.ChunkLength(3));
        Assert.Equal(3L * Chunk, layout.ChunkStart(3));
        Assert.Equal(0, layout.ChunkOf(Chunk - 1));
        Assert.Equal(1, layout.ChunkOf(Chunk));
        Assert.Equal(3, layout.ChunkOf((3L * Chunk) + 99));
        Assert.Throws<ArgumentOutOfRangeException>(() => layout.ChunkLength(4));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(ChunkLayout.BlockSize, 1)]
    [InlineData(ChunkLayout.BlockSize + 1, 2)]
    [InlineData(Chunk, 4)]
    public void Counts_blocks_of_a_chunk(int chunkLength, int expected)
    {
        Assert.Equal(expected, ChunkLayout.BlockCount(chunkLength));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(ChunkLayout.BlockSize + 1)]
    [InlineData(0)]
    public void Refuses_chunk_sizes_that_are_not_whole_blocks(int chunkSize)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChunkLayout(10, chunkSize));
    }

    [Fact]
    public void Read_options_name_the_invalid_setting()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new ReadOptions { ChunkSize = 1000 }.Validate());
        Assert.Contains("ChunkSize", error.Message);
        error = Assert.Throws<ArgumentException>(() => new ReadOptions { MemoryBudget = 1024 }.Validate());
        Assert.Contains("MemoryBudget", error.Message);
        error = Assert.Throws<ArgumentException>(() => new ReadOptions { Parallelism = 0 }.Validate());
        Assert.Contains("Parallelism", error.Message);
    }
}
