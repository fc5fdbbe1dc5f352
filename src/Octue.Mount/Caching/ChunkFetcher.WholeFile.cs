using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Octue.Mount.Integrity;

namespace Octue.Mount.Caching;

/// <summary>
/// Whole-object files for FUSE passthrough (<see cref="ReadOptions.WholeObjectFiles"/>): assembled in the background
/// from a verified generation's cached chunks, and checked whole before they are adopted.
/// </summary>
internal sealed partial class ChunkFetcher
{
    private readonly SemaphoreSlim _assembly = new(1, 1);

    /// <summary>
    /// Starts assembling the entry's whole-object file in the background (one at a time) when it can be made: the
    /// generation is verified and every chunk is cached. Called when a chunk reaches the cache and when a whole file
    /// is asked for. Only when whole-object files are on (<see cref="ReadOptions.WholeObjectFiles"/>).
    /// </summary>
    public void MaybeAssembleWholeFile(CacheEntry entry)
    {
        if (!_wholeObjectFiles || _shutdown.IsCancellationRequested || !_cache.TryClaimWholeFile(entry))
        {
            return;
        }
        Interlocked.Increment(ref _running);
        _ = AssembleWholeFileAsync(entry);
    }

    /// <summary>
    /// Writes the object's bytes, read from its chunk files (every block checked against its CRC32C), into one file
    /// at their offsets; then reads that file back whole, checking every chunk against the CRC recorded when the
    /// generation was verified and the whole against the object's CRC32C, before adopting it (one CRC pass over the
    /// bytes, on what reached the file). Readers of the object are served from the chunks meanwhile; nothing waits
    /// for this.
    /// </summary>
    private async Task AssembleWholeFileAsync(CacheEntry entry)
    {
        WholeFileInfo? result = null;
        int epoch = entry.Epoch;
        string temporary = entry.WholeFilePath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            await _assembly.WaitAsync(_shutdown).ConfigureAwait(false);
            try
            {
                result = await WriteWholeFileAsync(entry, epoch, temporary).ConfigureAwait(false);
                if (result is not null)
                {
                    File.Move(temporary, entry.WholeFilePath, overwrite: true);
                    // Recorded after the rename, which keeps the last-write time.
                    result = new WholeFileInfo(result.Value.Length, File.GetLastWriteTimeUtc(entry.WholeFilePath).Ticks);
                    _logger.LogDebug("{Object}: whole-object file ready for passthrough reads", entry.Key);
                }
            }
            finally
            {
                _assembly.Release();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            _logger.LogDebug(ex, "{Object}: the whole-object file was not made", entry.Key);
            result = null;
        }
        finally
        {
            if (result is null && File.Exists(temporary))
            {
                File.Delete(temporary);
            }
            await _cache.EndWholeFileAsync(entry, epoch, result).ConfigureAwait(false);
            StreamEnded();
        }
    }

    private async Task<WholeFileInfo?> WriteWholeFileAsync(CacheEntry entry, int epoch, string path)
    {
        ChunkLayout layout = entry.Layout;
        using MemoryBudget.Lease lease = await AcquireForReadAsync(layout.ChunkLength(0)).ConfigureAwait(false);
        ChunkBuffer buffer = _chunkBuffers.Rent(layout.ChunkLength(0));
        try
        {
            using (SafeFileHandle output = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.Asynchronous))
            {
                for (int chunk = 0; chunk < layout.ChunkCount; chunk++)
                {
                    int length = layout.ChunkLength(chunk);
                    Memory<byte> data = buffer.Memory[..length];
                    ChunkSlot slot = _cache.Pin(entry, chunk);
                    try
                    {
                        // Every block is checked against its CRC32C by the read; the chunk's CRC against the one
                        // recorded at verification is checked on the read-back below, which hashes these bytes anyway.
                        ChunkRead read = await _cache.TryReadAsync(slot, 0, data, _shutdown).ConfigureAwait(false);
                        if (read.Outcome == ChunkReadOutcome.Miss || entry.Epoch != epoch)
                        {
                            return null;
                        }
                    }
                    finally
                    {
                        _cache.Unpin(slot);
                    }
                    await RandomAccess.WriteAsync(output, data, layout.ChunkStart(chunk), _shutdown).ConfigureAwait(false);
                }
            }

            // Read back what reached the file: the bytes passthrough will serve are the bytes that were checked.
            uint whole = 0;
            using (SafeFileHandle input = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous))
            {
                if (RandomAccess.GetLength(input) != layout.ObjectSize)
                {
                    return null;
                }
                for (int chunk = 0; chunk < layout.ChunkCount; chunk++)
                {
                    int length = layout.ChunkLength(chunk);
                    Memory<byte> data = buffer.Memory[..length];
                    if (await ChunkFile.ReadFullyAsync(input, data, layout.ChunkStart(chunk), _shutdown).ConfigureAwait(false) != length)
                    {
                        return null;
                    }
                    uint crc = Crc32C.Compute(data.Span);
                    if (_cache.CheckKnown(entry, chunk, crc) != KnowledgeOutcome.Same)
                    {
                        return null;
                    }
                    whole = chunk == 0 ? crc : Crc32C.Combine(whole, crc, length);
                }
            }
            bool matches = entry.Crc32c is uint expected ? whole == expected : whole == _cache.CombineChunkCrcs(entry);
            if (!matches)
            {
                _logger.LogWarning("{Object}: the whole-object file did not read back as written; it is not used", entry.Key);
                return null;
            }
            return new WholeFileInfo(layout.ObjectSize, 0);
        }
        finally
        {
            _chunkBuffers.Return(buffer);
        }
    }
}
