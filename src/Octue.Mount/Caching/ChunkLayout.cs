namespace Octue.Mount.Caching;

/// <summary>
/// How an object is cut: into chunks (one ranged GET and one cache file each) and chunks into blocks (the unit
/// whose CRC32C the cache stores, so a cache hit checks only the blocks it returns). Public for its limits, which
/// option parsers check a chunk size against (a multiple of <see cref="BlockSize"/>, at most <see cref="MaxChunkSize"/>).
/// </summary>
public readonly record struct ChunkLayout
{
    /// <summary>Granularity of the cache's own checksums.</summary>
    public const int BlockSize = 64 * 1024;

    /// <summary>The largest chunk: 256 MiB.</summary>
    public const int MaxChunkSize = 256 * 1024 * 1024;

    /// <summary>The layout of an object of <paramref name="objectSize"/> bytes in chunks of <paramref name="chunkSize"/>.</summary>
    public ChunkLayout(long objectSize, int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(objectSize);
        if (chunkSize < BlockSize || chunkSize % BlockSize != 0 || chunkSize > MaxChunkSize)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, $"A chunk is a multiple of {BlockSize} bytes, at most {MaxChunkSize}.");
        }
        long count = (objectSize + chunkSize - 1) / chunkSize;
        if (count > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(objectSize), objectSize, "The object has too many chunks for this chunk size.");
        }
        ObjectSize = objectSize;
        ChunkSize = chunkSize;
        ChunkCount = (int)count;
    }

    /// <summary>The object's size in bytes.</summary>
    public long ObjectSize { get; }

    /// <summary>Bytes per chunk (the last chunk may be shorter).</summary>
    public int ChunkSize { get; }

    /// <summary>How many chunks the object has (0 for an empty object).</summary>
    public int ChunkCount { get; }

    /// <summary>The offset of a chunk's first byte in the object.</summary>
    public long ChunkStart(int chunk) => (long)chunk * ChunkSize;

    /// <summary>Length of a chunk: <see cref="ChunkSize"/>, except the last one.</summary>
    public int ChunkLength(int chunk)
    {
        if ((uint)chunk >= (uint)ChunkCount)
        {
            throw new ArgumentOutOfRangeException(nameof(chunk), chunk, $"The object has {ChunkCount} chunks.");
        }
        return (int)Math.Min(ChunkSize, ObjectSize - ChunkStart(chunk));
    }

    /// <summary>The chunk holding the byte at <paramref name="offset"/> (which must be inside the object).</summary>
    public int ChunkOf(long offset) => (int)(offset / ChunkSize);

    /// <summary>Number of checksum blocks of a chunk of <paramref name="chunkLength"/> bytes.</summary>
    public static int BlockCount(int chunkLength) => (chunkLength + BlockSize - 1) / BlockSize;
}
