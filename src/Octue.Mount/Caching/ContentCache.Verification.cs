using Octue.Mount.Integrity;

namespace Octue.Mount.Caching;

// Part of ContentCache (one lock, _sync, guards all its state; ContentCache.cs says how):
// what is known of an object's bytes: fragments and chunks checked as they arrive, the whole object's CRC32C, verified or failed generations.
public sealed partial class ContentCache
{
    /// <summary>Whether the bytes of this object generation were verified (remembered across mounts).</summary>
    public IntegrityState GetIntegrity(string bucket, string name, long generation)
    {
        lock (_sync)
        {
            return _entries.TryGetValue(new ObjectKey(bucket, name, generation), out CacheEntry? entry)
                ? entry.Integrity
                : IntegrityState.Unverified;
        }
    }

    /// <summary>
    /// Records that this generation's bytes are known good (after an upload whose hashes GCS confirmed, or a whole
    /// download checked against them). <paramref name="remember"/> false keeps it for this mount only, writing
    /// nothing to disk: for an object whose bytes the cache does not hold (a small file read whole at its open, which
    /// its next open downloads and checks again), a record on disk would cost a folder and a state file per object.
    /// </summary>
    public void MarkVerified(string bucket, string name, long generation, bool remember = true)
    {
        CacheEntry entry;
        lock (_sync)
        {
            entry = GetOrAddLocked(new ObjectKey(bucket, name, generation));
            entry.Integrity = IntegrityState.Verified;
        }
        if (remember)
        {
            _ = PersistInBackgroundAsync(entry);
        }
    }

    /// <summary>
    /// Claims a download of blocks <paramref name="firstBlock"/>.. of a chunk on their own, for a partial read. True
    /// when nobody holds the chunk (not cached, in memory or being downloaded), its CRC32C is not known yet (else the
    /// whole chunk is downloaded and checked against it), and the blocks so claimed stay within a
    /// quarter of the chunk: past that the chunk is downloaded whole, so reading an object in full always ends in whole
    /// chunks whose CRC32C feeds the full-object check.
    /// </summary>
    internal bool TryReserveFragment(CacheEntry entry, int chunk, int firstBlock, int blockCount, int epoch)
    {
        lock (_sync)
        {
            ChunkSlot? slot = entry.Slots[chunk];
            // A chunk whose CRC32C is known (a verified generation's, evicted since) is downloaded whole, so that it
            // is checked on arrival.
            if (entry.Epoch != epoch || entry.Known[chunk]
                || (slot is not null && (slot.Present || slot.Hot is not null || slot.Fetch is not null)))
            {
                return false;
            }
            int chunkBlocks = ChunkLayout.BlockCount(entry.Layout.ChunkLength(chunk));
            entry.Fragments ??= new Dictionary<int, FragmentBlocks>();
            if (!entry.Fragments.TryGetValue(chunk, out FragmentBlocks? fragments))
            {
                fragments = new FragmentBlocks(chunkBlocks);
            }
            // Past a quarter of the chunk's blocks, the chunk is downloaded whole instead.
            if (!fragments.TryReserve(firstBlock, blockCount, limit: chunkBlocks / 4))
            {
                return false;
            }
            entry.Fragments[chunk] = fragments;
            return true;
        }
    }

    /// <summary>Records the block CRCs of a partial download; <see cref="KnowledgeOutcome.Mismatch"/> when a block differs from an earlier copy.</summary>
    internal KnowledgeOutcome RecordFragment(CacheEntry entry, int chunk, int firstBlock, ReadOnlySpan<uint> blockCrcs, int epoch)
    {
        lock (_sync)
        {
            if (entry.Epoch != epoch)
            {
                return KnowledgeOutcome.Stale;
            }
            // The record made when the download was claimed is gone only when the whole chunk arrived meanwhile (its
            // check consumed the record): these bytes were not part of that check, so the chunk serves the read instead.
            if (entry.Fragments?.GetValueOrDefault(chunk) is not { } fragments)
            {
                return KnowledgeOutcome.Superseded;
            }
            return fragments.Record(firstBlock, blockCrcs) ? KnowledgeOutcome.Recorded : KnowledgeOutcome.Mismatch;
        }
    }

    /// <summary>
    /// A whole chunk arrived: the blocks of it served earlier from partial downloads are compared with it (and then
    /// forgotten: the chunk's own CRC32C covers them from now on). The first block that differs, or -1.
    /// </summary>
    internal int CheckFragments(CacheEntry entry, int chunk, ReadOnlySpan<uint> blockCrcs)
    {
        lock (_sync)
        {
            if (entry.Fragments is not { } all || !all.Remove(chunk, out FragmentBlocks? fragments))
            {
                return -1;
            }
            return fragments.FirstMismatch(blockCrcs);
        }
    }

    internal KnowledgeOutcome CheckKnown(CacheEntry entry, int chunk, uint crc)
    {
        lock (_sync)
        {
            if (!entry.Known[chunk])
            {
                return KnowledgeOutcome.Unknown;
            }
            return entry.ChunkCrcs[chunk] == crc ? KnowledgeOutcome.Same : KnowledgeOutcome.Mismatch;
        }
    }

    /// <summary>Records a chunk's CRC32C; <see cref="KnowledgeOutcome.Complete"/> hands the full-object check to the caller.</summary>
    internal KnowledgeOutcome RecordChunkCrc(CacheEntry entry, int chunk, uint crc, int epoch)
    {
        lock (_sync)
        {
            if (entry.Epoch != epoch)
            {
                return KnowledgeOutcome.Stale;
            }
            if (entry.Known[chunk])
            {
                return entry.ChunkCrcs[chunk] == crc ? KnowledgeOutcome.Same : KnowledgeOutcome.Mismatch;
            }
            entry.RecordKnown(chunk, crc);
            return ClaimVerificationLocked(entry) ? KnowledgeOutcome.Complete : KnowledgeOutcome.Recorded;
        }
    }

    /// <summary>Claims the full-object check when every chunk is known (used for empty objects, which have no chunk).</summary>
    internal bool TryClaimVerification(CacheEntry entry, int epoch)
    {
        lock (_sync)
        {
            return entry.Epoch == epoch && ClaimVerificationLocked(entry);
        }
    }

    private static bool ClaimVerificationLocked(CacheEntry entry)
    {
        if (entry.KnownCount == entry.Layout.ChunkCount && !entry.VerificationClaimed)
        {
            entry.VerificationClaimed = true;
            return true;
        }
        return false;
    }

    /// <summary>The CRC32C of the whole object from the CRC32C of its chunks (all known).</summary>
    internal uint CombineChunkCrcs(CacheEntry entry)
    {
        lock (_sync)
        {
            ChunkLayout layout = entry.Layout;
            uint crc = 0;
            for (int i = 0; i < layout.ChunkCount; i++)
            {
                crc = i == 0 ? entry.ChunkCrcs[0] : Crc32C.Combine(crc, entry.ChunkCrcs[i], layout.ChunkLength(i));
            }
            return crc;
        }
    }

    internal async Task SetVerifiedAsync(CacheEntry entry, int epoch, CancellationToken ct)
    {
        lock (_sync)
        {
            if (entry.Epoch != epoch)
            {
                return;
            }
            entry.Integrity = IntegrityState.Verified;
        }
        await PersistAsync(entry, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Records the chunk CRCs of a local copy known to equal the object (an upload GCS confirmed) and marks the
    /// generation verified. False when the entry was dropped after <paramref name="epoch"/> began.
    /// </summary>
    internal async Task<bool> AdoptVerifiedAsync(CacheEntry entry, uint[] chunkCrcs, int epoch, CancellationToken ct)
    {
        lock (_sync)
        {
            if (entry.Epoch != epoch)
            {
                return false;
            }
            for (int i = 0; i < chunkCrcs.Length; i++)
            {
                entry.RecordKnown(i, chunkCrcs[i]);
            }
            entry.VerificationClaimed = true;
            entry.Integrity = IntegrityState.Verified;
        }
        await PersistAsync(entry, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// After a failed full-object check: drops every cached chunk, forgets the chunk CRCs, poisons the readers of
    /// <paramref name="epoch"/> and records <see cref="IntegrityState.Failed"/>. False when another caller did it first.
    /// </summary>
    internal bool FailIntegrity(CacheEntry entry, int epoch)
    {
        QueuedFileWork? work;
        lock (_sync)
        {
            if (entry.Epoch != epoch)
            {
                return false;
            }
            entry.NextEpoch();
            entry.Integrity = IntegrityState.Failed;
            DropChunksLocked(entry);
            entry.ResetKnowledge();
            work = TakeQueuedFileWorkLocked();
        }
        work?.Run(this);
        _ = PersistInBackgroundAsync(entry);
        return true;
    }
}
