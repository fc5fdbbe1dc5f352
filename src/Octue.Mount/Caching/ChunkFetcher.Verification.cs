using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Octue.Mount.Integrity;
using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// The full-object check: chunk CRC32Cs recorded as they become known, combined and compared with the object's once
/// all are (objects with only an MD5 are hashed in order), and the failure that drops the cached copy.
/// </summary>
internal sealed partial class ChunkFetcher
{
    /// <summary>Records a chunk CRC read from the cache; runs the full-object check when it was the last unknown one.</summary>
    public async ValueTask RecordAsync(CacheEntry entry, int chunk, uint chunkCrc, int epoch)
    {
        KnowledgeOutcome outcome = _cache.RecordChunkCrc(entry, chunk, chunkCrc, epoch);
        if (outcome == KnowledgeOutcome.Mismatch)
        {
            throw Fail(entry, epoch, $"chunk {chunk} read from the cache differs from the copy downloaded earlier");
        }
        if (outcome == KnowledgeOutcome.Complete)
        {
            await VerifyAsync(entry, epoch).ConfigureAwait(false);
        }
    }

    /// <summary>An empty object is complete before any read: check its hash once.</summary>
    public async ValueTask VerifyEmptyAsync(CacheEntry entry, int epoch)
    {
        if (_cache.TryClaimVerification(entry, epoch))
        {
            await VerifyAsync(entry, epoch).ConfigureAwait(false);
        }
    }


    /// <summary>
    /// The full-object check, once every chunk CRC is known. <paramref name="currentChunk"/> is the chunk whose
    /// download completed the object, still only in <paramref name="currentData"/> (-1 when none).
    /// </summary>
    private async Task VerifyAsync(CacheEntry entry, int epoch, int currentChunk = -1, ReadOnlyMemory<byte> currentData = default)
    {
        bool matches;
        string detail;
        if (entry.Crc32c is uint expected)
        {
            uint actual = _cache.CombineChunkCrcs(entry);
            matches = actual == expected;
            detail = $"the CRC32C of the bytes read is {GcsHash.ToBase64(actual)}, the object's is {GcsHash.ToBase64(expected)}";
        }
        else if (entry.Md5 is byte[] expectedMd5)
        {
            byte[] actual = await ComputeMd5Async(entry, currentChunk, currentData).ConfigureAwait(false);
            matches = actual.AsSpan().SequenceEqual(expectedMd5);
            detail = $"the MD5 of the bytes read is {GcsHash.ToBase64(actual)}, the object's is {GcsHash.ToBase64(expectedMd5)}";
        }
        else
        {
            _logger.LogDebug("{Object} has no CRC32C or MD5: its bytes cannot be verified", entry.Key);
            return;
        }

        if (!matches)
        {
            throw Fail(entry, epoch, detail);
        }
        CachingMetrics.Verifications.Add(1);
        _logger.LogDebug("{Object} verified", entry.Key);
        await _cache.SetVerifiedAsync(entry, epoch, _shutdown).ConfigureAwait(false);
    }

    /// <summary>
    /// MD5 cannot be combined from pieces, so objects without a CRC32C are hashed in order: the completing chunk from
    /// its download buffer, the others from memory or the cache in small pieces, and any part evicted meanwhile
    /// streamed again from the store. Small pooled pieces keep this outside the memory budget's chunk-sized
    /// buffers, so it never waits for budget while holding some.
    /// </summary>
    private async Task<byte[]> ComputeMd5Async(CacheEntry entry, int currentChunk, ReadOnlyMemory<byte> currentData)
    {
        const int PieceSize = 256 * 1024;
        ChunkLayout layout = entry.Layout;
        using IncrementalHash md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        byte[] piece = ArrayPool<byte>.Shared.Rent(PieceSize);
        try
        {
            for (int chunk = 0; chunk < layout.ChunkCount; chunk++)
            {
                if (chunk == currentChunk)
                {
                    md5.AppendData(currentData.Span);
                    continue;
                }
                int length = layout.ChunkLength(chunk);
                int done = 0;
                ChunkSlot slot = _cache.Pin(entry, chunk);
                try
                {
                    while (done < length)
                    {
                        Memory<byte> destination = piece.AsMemory(0, Math.Min(PieceSize, length - done));
                        if (!_cache.TryReadHot(slot, done, destination)
                            && (await _cache.TryReadAsync(slot, done, destination, _shutdown).ConfigureAwait(false)).Outcome == ChunkReadOutcome.Miss)
                        {
                            break;
                        }
                        md5.AppendData(destination.Span);
                        done += destination.Length;
                    }
                }
                finally
                {
                    _cache.Unpin(slot);
                }
                if (done < length)
                {
                    await HashFromStoreAsync(entry, md5, layout.ChunkStart(chunk) + done, length - done, piece).ConfigureAwait(false);
                }
            }
            return md5.GetHashAndReset();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(piece);
        }
    }

    private async Task HashFromStoreAsync(CacheEntry entry, IncrementalHash md5, long start, long length, byte[] piece)
    {
        long total = 0;
        Stream stream = await _store.OpenReadAsync(entry.Key.Bucket, entry.Key.Name, start, RangeLength(entry, start, length), entry.Key.Generation, _shutdown)
            .ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            int n;
            while (total < length && (n = await stream.ReadAsync(piece.AsMemory(0, (int)Math.Min(piece.Length, length - total)), _shutdown).ConfigureAwait(false)) > 0)
            {
                md5.AppendData(piece.AsSpan(0, n));
                total += n;
            }
        }
        CachingMetrics.BytesReadFromStore.Add(total);
        if (total != length)
        {
            throw new TransientStoreException($"{entry.Key}: the download of bytes {start}-{start + length - 1} ended after {total} bytes.");
        }
    }

    /// <summary>Drops the cached copy, records the failure and returns the exception the failing read throws.</summary>
    private CorruptionException Fail(CacheEntry entry, int epoch, string detail, Exception? inner = null)
    {
        if (_cache.FailIntegrity(entry, epoch))
        {
            CachingMetrics.IntegrityFailures.Add(1);
            _logger.LogError("Integrity check failed for {Object}: {Detail}. The cached copy was dropped", entry.Key, detail);
        }
        return new CorruptionException($"{entry.Key} failed its integrity check: {detail}.", inner);
    }
}
