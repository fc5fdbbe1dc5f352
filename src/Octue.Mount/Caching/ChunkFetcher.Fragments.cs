using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// Partial reads: a small read of a chunk nobody holds downloads just the blocks it touches, and those blocks are
/// compared with the whole chunk once it is downloaded.
/// </summary>
internal sealed partial class ChunkFetcher
{
    /// <summary>
    /// Blocks of this chunk served earlier from partial downloads must be the chunk's: otherwise a reader was given
    /// bytes that are not the object's (or this download is wrong), and the generation fails its check.
    /// </summary>
    private void CheckServedFragments(CacheEntry entry, int epoch, int chunk, uint[] blockCrcs)
    {
        int block = _cache.CheckFragments(entry, chunk, blockCrcs);
        if (block >= 0)
        {
            throw Fail(entry, epoch, $"block {block} of chunk {chunk}, served earlier from a partial download, differs from the whole chunk downloaded since");
        }
    }

    /// <summary>
    /// Serves a partial read of a chunk nobody holds with a download of just the 64 KiB blocks it touches (a random
    /// reader would otherwise wait for, and pay for, a whole chunk per read). False when the chunk should be read or
    /// downloaded whole instead (someone holds it, partial downloads of it reached a quarter of its blocks, or it
    /// arrived whole while this download ran). The
    /// blocks' CRC32Cs are recorded and compared with the whole chunk if it is downloaded later; the bytes are not
    /// cached. See docs/read-path.md for what a partial read checks.
    /// </summary>
    public async ValueTask<bool> TryReadFragmentAsync(CacheEntry entry, int epoch, int chunk, int offsetInChunk, Memory<byte> destination,
        CancellationToken ct)
    {
        int firstBlock = offsetInChunk / ChunkLayout.BlockSize;
        int lastBlock = (offsetInChunk + destination.Length - 1) / ChunkLayout.BlockSize;
        if (!_cache.TryReserveFragment(entry, chunk, firstBlock, lastBlock - firstBlock + 1, epoch))
        {
            return false;
        }
        int regionStart = firstBlock * ChunkLayout.BlockSize;
        int regionLength = Math.Min((lastBlock + 1) * ChunkLayout.BlockSize, entry.Layout.ChunkLength(chunk)) - regionStart;
        long start = entry.Layout.ChunkStart(chunk) + regionStart;
        using MemoryBudget.Lease lease = await AcquireForReadAsync(regionLength).ConfigureAwait(false);
        byte[] buffer = _pool.Rent(regionLength);
        try
        {
            Memory<byte> region = buffer.AsMemory(0, regionLength);
            await DownloadExactAsync(entry, epoch, start, region).ConfigureAwait(false);
            Span<uint> blockCrcs = stackalloc uint[lastBlock - firstBlock + 1];
            ChunkFile.ComputeBlockCrcs(region.Span, blockCrcs);
            KnowledgeOutcome outcome = _cache.RecordFragment(entry, chunk, firstBlock, blockCrcs, epoch);
            if (outcome == KnowledgeOutcome.Stale)
            {
                throw new CorruptionException($"{entry.Key} failed its integrity check; this handle returns no more bytes (open the file again to retry).");
            }
            if (outcome == KnowledgeOutcome.Mismatch)
            {
                throw Fail(entry, epoch, $"bytes {start}-{start + regionLength - 1} downloaded with bytes that differ from an earlier download of them");
            }
            if (outcome == KnowledgeOutcome.Superseded)
            {
                return false;
            }
            region.Span.Slice(offsetInChunk - regionStart, destination.Length).CopyTo(destination.Span);
            CachingMetrics.PartialDownloads.Add(1);
            return true;
        }
        finally
        {
            _pool.Return(buffer);
        }
    }
}
