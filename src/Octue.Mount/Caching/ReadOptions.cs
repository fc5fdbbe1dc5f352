namespace Octue.Mount.Caching;

/// <summary>Knobs of the read path.</summary>
public sealed record ReadOptions
{
    /// <summary>The default <see cref="ChunkSize"/>: 8 MiB.</summary>
    public const int DefaultChunkSize = 8 * 1024 * 1024;

    /// <summary>
    /// Size of one ranged GET and of one cache chunk. A multiple of <see cref="ChunkLayout.BlockSize"/> (64 KiB),
    /// at most 256 MiB.
    /// </summary>
    public int ChunkSize { get; init; } = DefaultChunkSize;

    /// <summary>How many chunks a sequential reader fetches ahead, in parallel.</summary>
    public int Parallelism { get; init; } = 4;

    /// <summary>
    /// Bytes all readers of one factory may hold in download buffers at once (downloads in flight, and downloaded
    /// chunks kept in memory for the reads right behind them). At least one chunk: a reader that needs a chunk waits
    /// for room (chunks kept only for speed are given up first); read-ahead is skipped when there is none.
    /// </summary>
    public long MemoryBudget { get; init; } = 256L * 1024 * 1024;

    /// <summary>Root of the cache folder; the content cache lives in its <c>content/</c> sub-folder.</summary>
    public string CacheDirectory { get; init; } = "";

    /// <summary>Upper bound of the on-disk content cache.</summary>
    public long CacheSizeBytes { get; init; } = 10L * 1024 * 1024 * 1024;

    /// <summary>
    /// Assemble a whole-object file for every verified, wholly cached object (for FUSE passthrough, which hands the
    /// kernel one file per object). Off unless passthrough is on: the file doubles the object's space in the cache and
    /// costs a full write and read-back of the object.
    /// </summary>
    public bool WholeObjectFiles { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (ChunkSize < ChunkLayout.BlockSize || ChunkSize % ChunkLayout.BlockSize != 0 || ChunkSize > ChunkLayout.MaxChunkSize)
        {
            throw new ArgumentException(
                $"ChunkSize must be a multiple of {ChunkLayout.BlockSize} bytes between {ChunkLayout.BlockSize} and {ChunkLayout.MaxChunkSize}; got {ChunkSize}.");
        }
        if (Parallelism < 1 || Parallelism > 64)
        {
            throw new ArgumentException($"Parallelism must be between 1 and 64; got {Parallelism}.");
        }
        if (MemoryBudget < ChunkSize)
        {
            throw new ArgumentException($"MemoryBudget ({MemoryBudget} bytes) must hold at least one chunk ({ChunkSize} bytes).");
        }
        if (CacheSizeBytes < 0)
        {
            throw new ArgumentException($"CacheSizeBytes must not be negative; got {CacheSizeBytes}.");
        }
    }
}
