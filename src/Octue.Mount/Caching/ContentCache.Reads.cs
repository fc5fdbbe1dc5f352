using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Octue.Mount.Integrity;

namespace Octue.Mount.Caching;

// Part of ContentCache (one lock, _sync, guards all its state; ContentCache.cs says how):
// reading a cached chunk: its file opened (or its kept handle borrowed) and every block checked against its CRC32C.
public sealed partial class ContentCache
{
    /// <summary>
    /// Reads <paramref name="destination"/>.Length bytes at <paramref name="offsetInChunk"/> from a cached chunk
    /// (the caller holds a pin), checking the CRC32C of every block it touches. A chunk that fails is discarded
    /// and reported as a miss.
    /// </summary>
    internal async ValueTask<ChunkRead> TryReadAsync(ChunkSlot slot, int offsetInChunk, Memory<byte> destination, CancellationToken ct)
    {
        CacheEntry entry = slot.Entry;
        uint[]? blockCrcs;
        int version;
        lock (_sync)
        {
            if (!slot.Present)
            {
                return default;
            }
            blockCrcs = slot.BlockCrcs;
            version = slot.Version;
        }

        int chunkLength = entry.Layout.ChunkLength(slot.Index);
        SafeFileHandle? handle = AcquireHandle(slot, version, out bool borrowed);
        if (handle is null)
        {
            Discard(slot, version, "its file is missing");
            return default;
        }

        try
        {
            bool firstSeen = false;
            uint chunkCrc = 0;
            if (blockCrcs is null)
            {
                blockCrcs = await ChunkFile.ReadHeaderAsync(handle, chunkLength, ct).ConfigureAwait(false);
                if (blockCrcs is null)
                {
                    Discard(slot, version, "its header is damaged");
                    return default;
                }
                chunkCrc = ChunkFile.CombineBlocks(blockCrcs, chunkLength);
                lock (_sync)
                {
                    if (entry.Known[slot.Index] && entry.ChunkCrcs[slot.Index] != chunkCrc)
                    {
                        blockCrcs = null;
                    }
                    else
                    {
                        if (slot.Version == version && slot.Present)
                        {
                            slot.BlockCrcs = blockCrcs;
                        }
                        firstSeen = !entry.Known[slot.Index];
                    }
                }
                if (blockCrcs is null)
                {
                    Discard(slot, version, "it does not hold the bytes verified earlier");
                    return default;
                }
            }

            if (!await ReadCheckedAsync(handle, blockCrcs, chunkLength, offsetInChunk, destination, ct).ConfigureAwait(false))
            {
                Discard(slot, version, "a block does not match its CRC32C");
                return default;
            }
            return new ChunkRead(firstSeen ? ChunkReadOutcome.HitFirstSeen : ChunkReadOutcome.Hit, chunkCrc);
        }
        finally
        {
            if (borrowed)
            {
                handle.DangerousRelease();
            }
            else
            {
                handle.Dispose();
            }
        }
    }

    /// <summary>
    /// A handle on a chunk file: the slot's own (borrowed: a reference is added so that closing it on eviction
    /// waits for this read), or a new one that is kept for the next reads of the chunk while its object is open
    /// and fewer than <see cref="MaxCachedHandles"/> are kept; otherwise the caller closes it. Null when the file is gone.
    /// </summary>
    private SafeFileHandle? AcquireHandle(ChunkSlot slot, int version, out bool borrowed)
    {
        lock (_sync)
        {
            if (slot.Handle is { } cached && slot.Version == version)
            {
                bool added = false;
                cached.DangerousAddRef(ref added);
                borrowed = added;
                if (added)
                {
                    return cached;
                }
            }
        }

        SafeFileHandle handle;
        try
        {
            FileWorkObserver?.Invoke(Monitor.IsEntered(_sync));
            handle = File.OpenHandle(slot.Entry.ChunkPath(slot.Index), FileMode.Open, FileAccess.Read,
                FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            borrowed = false;
            return null;
        }

        lock (_sync)
        {
            if (slot.Present && slot.Version == version && slot.Handle is null && slot.Entry.OpenReaders > 0
                && _cachedHandles < MaxCachedHandles)
            {
                slot.Handle = handle;
                _cachedHandles++;
                bool added = false;
                handle.DangerousAddRef(ref added);
                borrowed = added;
                return handle;
            }
        }
        borrowed = false;
        return handle;
    }

    private void CloseHandleLocked(ChunkSlot slot)
    {
        if (slot.Handle is { } handle)
        {
            slot.Handle = null;
            _cachedHandles--;
            QueueFileWorkLocked().Closes.Add(handle);
        }
    }

    private static async ValueTask<bool> ReadCheckedAsync(SafeFileHandle handle, uint[] blockCrcs, int chunkLength,
        int offsetInChunk, Memory<byte> destination, CancellationToken ct)
    {
        int dataOffset = ChunkFile.DataOffset(blockCrcs.Length);
        int firstBlock = offsetInChunk / ChunkLayout.BlockSize;
        int lastBlock = (offsetInChunk + destination.Length - 1) / ChunkLayout.BlockSize;
        int regionStart = firstBlock * ChunkLayout.BlockSize;
        int regionLength = Math.Min((lastBlock + 1) * ChunkLayout.BlockSize, chunkLength) - regionStart;

        // Whole blocks are read straight into the caller's buffer; otherwise the covering blocks go through a pooled one.
        bool direct = regionStart == offsetInChunk && regionLength == destination.Length;
        byte[]? rented = direct ? null : ArrayPool<byte>.Shared.Rent(regionLength);
        try
        {
            Memory<byte> region = direct ? destination : rented.AsMemory(0, regionLength);
            int read = await ChunkFile.ReadFullyAsync(handle, region, dataOffset + (long)regionStart, ct).ConfigureAwait(false);
            if (read != regionLength)
            {
                return false;
            }
            ReadOnlySpan<byte> span = region.Span;
            for (int block = firstBlock; block <= lastBlock; block++)
            {
                int start = (block - firstBlock) * ChunkLayout.BlockSize;
                int length = Math.Min(ChunkLayout.BlockSize, regionLength - start);
                if (Crc32C.Compute(span.Slice(start, length)) != blockCrcs[block])
                {
                    return false;
                }
            }
            if (!direct)
            {
                span.Slice(offsetInChunk - regionStart, destination.Length).CopyTo(destination.Span);
            }
            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
