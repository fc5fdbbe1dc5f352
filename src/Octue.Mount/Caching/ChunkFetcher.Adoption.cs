using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Octue.Mount.Integrity;

namespace Octue.Mount.Caching;

/// <summary>
/// Seeding the cache from a file whose upload GCS confirmed (the staged file), so reading the object back costs no
/// download.
/// </summary>
internal sealed partial class ChunkFetcher
{
    /// <summary>
    /// Copies a local file whose bytes GCS confirmed (a finished upload) into the cache, so reading it back costs no
    /// download, and marks the generation verified. The file is hashed first and adopted only when it matches the
    /// object; it is checked again block by block while it is copied, in case it changed in between.
    /// </summary>
    public async Task<bool> AdoptAsync(CacheEntry entry, string path, CancellationToken ct)
    {
        int epoch = entry.Epoch;
        ChunkLayout layout = entry.Layout;
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        if (RandomAccess.GetLength(file) != layout.ObjectSize)
        {
            _logger.LogDebug("Not adopting {Path} for {Object}: its size differs from the object's", path, entry.Key);
            return false;
        }

        int bufferLength = (int)Math.Min(layout.ChunkSize, Math.Max(1, layout.ObjectSize));
        using MemoryBudget.Lease lease = await AcquireForReadAsync(bufferLength).ConfigureAwait(false);
        ChunkBuffer buffer = _chunkBuffers.Rent(layout.ChunkSize);
        try
        {
            uint[][] blockCrcs = new uint[layout.ChunkCount][];
            uint[] chunkCrcs = new uint[layout.ChunkCount];
            using IncrementalHash? md5 = entry.Crc32c is null && entry.Md5 is not null ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
            uint whole = 0;
            for (int chunk = 0; chunk < layout.ChunkCount; chunk++)
            {
                int length = layout.ChunkLength(chunk);
                Memory<byte> data = buffer.Memory[..length];
                if (await ChunkFile.ReadFullyAsync(file, data, layout.ChunkStart(chunk), ct).ConfigureAwait(false) != length)
                {
                    return false;
                }
                blockCrcs[chunk] = new uint[ChunkLayout.BlockCount(length)];
                ChunkFile.ComputeBlockCrcs(data.Span, blockCrcs[chunk]);
                chunkCrcs[chunk] = ChunkFile.CombineBlocks(blockCrcs[chunk], length);
                whole = chunk == 0 ? chunkCrcs[0] : Crc32C.Combine(whole, chunkCrcs[chunk], length);
                md5?.AppendData(data.Span);
            }
            bool matches = entry.Crc32c is uint expected ? whole == expected
                : md5 is not null && md5.GetHashAndReset().AsSpan().SequenceEqual(entry.Md5);
            if (!matches)
            {
                _logger.LogWarning("Not adopting {Path} for {Object}: its bytes do not match the object's hash", path, entry.Key);
                return false;
            }

            uint[] check = new uint[ChunkLayout.BlockCount(layout.ChunkSize)];
            for (int chunk = 0; chunk < layout.ChunkCount; chunk++)
            {
                int length = layout.ChunkLength(chunk);
                Memory<byte> data = buffer.Memory[..length];
                if (await ChunkFile.ReadFullyAsync(file, data, layout.ChunkStart(chunk), ct).ConfigureAwait(false) != length)
                {
                    return false;
                }
                Span<uint> crcs = check.AsSpan(0, blockCrcs[chunk].Length);
                ChunkFile.ComputeBlockCrcs(data.Span, crcs);
                if (!crcs.SequenceEqual(blockCrcs[chunk]))
                {
                    _logger.LogWarning("Not adopting {Path} for {Object}: it changed while it was copied", path, entry.Key);
                    return false;
                }
                ChunkSlot slot = _cache.Pin(entry, chunk);
                try
                {
                    if (!await _cache.StoreChunkAsync(slot, data, blockCrcs[chunk], epoch, ct).ConfigureAwait(false))
                    {
                        return false;
                    }
                }
                finally
                {
                    _cache.Unpin(slot);
                }
            }
            return await _cache.AdoptVerifiedAsync(entry, chunkCrcs, epoch, ct).ConfigureAwait(false);
        }
        finally
        {
            _chunkBuffers.Return(buffer);
        }
    }
}
