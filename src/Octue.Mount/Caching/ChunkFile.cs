using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Octue.Mount.Integrity;

namespace Octue.Mount.Caching;

/// <summary>
/// One cached chunk on disk: a header holding the CRC32C of every 64 KiB block, then the chunk's bytes, starting at a
/// page boundary. The header carries its own CRC32C, so a damaged header is noticed as surely as damaged data.
/// <code>
/// 0  uint32 magic "OMC1"   4  int32 chunk length   8  int32 block count
/// 12 uint32 block CRC32C × block count,  then uint32 CRC32C of everything before it
/// </code>
/// </summary>
internal static class ChunkFile
{
    private const uint Magic = 0x31434D4F; // "OMC1" little-endian
    private const int FixedHeaderBytes = 12;
    private const int PageSize = 4096;

    /// <summary>Where a chunk's bytes start in its file.</summary>
    public static int DataOffset(int blockCount)
    {
        int headerBytes = FixedHeaderBytes + (4 * blockCount) + 4;
        return (headerBytes + PageSize - 1) / PageSize * PageSize;
    }

    /// <summary>
    /// Writes a whole chunk file (the caller writes to a temporary name and renames it into place), around the page
    /// cache where the file system allows it (<see cref="UnbufferedFileWriter"/>): the file is read back, if ever, long
    /// after. True when it was written that way. <paramref name="unbuffered"/> is the cache folder's writer.
    /// </summary>
    public static async ValueTask<bool> WriteAsync(UnbufferedFileWriter unbuffered, string path, ReadOnlyMemory<byte> data, uint[] blockCrcs,
        CancellationToken ct)
    {
        int dataOffset = DataOffset(blockCrcs.Length);
        byte[] header = ArrayPool<byte>.Shared.Rent(dataOffset);
        try
        {
            Span<byte> span = header.AsSpan(0, dataOffset);
            span.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
            BinaryPrimitives.WriteInt32LittleEndian(span[4..], data.Length);
            BinaryPrimitives.WriteInt32LittleEndian(span[8..], blockCrcs.Length);
            int position = FixedHeaderBytes;
            foreach (uint crc in blockCrcs)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(span[position..], crc);
                position += 4;
            }
            BinaryPrimitives.WriteUInt32LittleEndian(span[position..], Crc32C.Compute(span[..position]));

            if (await unbuffered.TryWriteAsync(path, header.AsMemory(0, dataOffset), data, ct).ConfigureAwait(false))
            {
                return true;
            }
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.Asynchronous);
            await RandomAccess.WriteAsync(handle, header.AsMemory(0, dataOffset), 0, ct).ConfigureAwait(false);
            await RandomAccess.WriteAsync(handle, data, dataOffset, ct).ConfigureAwait(false);
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(header);
        }
    }

    /// <summary>
    /// Reads and checks a chunk file's header; null when the file is not a valid chunk of
    /// <paramref name="expectedLength"/> bytes.
    /// </summary>
    public static async ValueTask<uint[]?> ReadHeaderAsync(SafeFileHandle handle, int expectedLength, CancellationToken ct)
    {
        int blockCount = ChunkLayout.BlockCount(expectedLength);
        int dataOffset = DataOffset(blockCount);
        if (RandomAccess.GetLength(handle) != dataOffset + (long)expectedLength)
        {
            return null;
        }
        byte[] header = ArrayPool<byte>.Shared.Rent(dataOffset);
        try
        {
            int read = await ReadFullyAsync(handle, header.AsMemory(0, dataOffset), 0, ct).ConfigureAwait(false);
            if (read != dataOffset)
            {
                return null;
            }
            ReadOnlySpan<byte> span = header.AsSpan(0, dataOffset);
            int crcPosition = FixedHeaderBytes + (4 * blockCount);
            if (BinaryPrimitives.ReadUInt32LittleEndian(span) != Magic
                || BinaryPrimitives.ReadInt32LittleEndian(span[4..]) != expectedLength
                || BinaryPrimitives.ReadInt32LittleEndian(span[8..]) != blockCount
                || BinaryPrimitives.ReadUInt32LittleEndian(span[crcPosition..]) != Crc32C.Compute(span[..crcPosition]))
            {
                return null;
            }
            uint[] crcs = new uint[blockCount];
            for (int i = 0; i < blockCount; i++)
            {
                crcs[i] = BinaryPrimitives.ReadUInt32LittleEndian(span[(FixedHeaderBytes + (4 * i))..]);
            }
            return crcs;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(header);
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the file ends; returns the bytes read.</summary>
    public static async ValueTask<int> ReadFullyAsync(SafeFileHandle handle, Memory<byte> buffer, long fileOffset, CancellationToken ct)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await RandomAccess.ReadAsync(handle, buffer[total..], fileOffset + total, ct).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            total += n;
        }
        return total;
    }

    /// <summary>CRC32C of each 64 KiB block of <paramref name="data"/>, written into <paramref name="crcs"/>.</summary>
    public static void ComputeBlockCrcs(ReadOnlySpan<byte> data, Span<uint> crcs)
    {
        for (int i = 0; i < crcs.Length; i++)
        {
            int start = i * ChunkLayout.BlockSize;
            crcs[i] = Crc32C.Compute(data.Slice(start, Math.Min(ChunkLayout.BlockSize, data.Length - start)));
        }
    }

    /// <summary>
    /// Extends the block CRCs of a chunk whose bytes arrive in order over the bytes <paramref name="from"/> to
    /// <paramref name="to"/> (exclusive) of <paramref name="chunk"/>; <paramref name="crcs"/> holds the CRCs of the bytes
    /// before <paramref name="from"/> (zeros for a new chunk). Once every byte is appended, <paramref name="crcs"/> equals
    /// what <see cref="ComputeBlockCrcs"/> gives for the whole chunk. A download hashes what it just received, still in
    /// the processor's cache, instead of reading the whole chunk from memory again once it is complete.
    /// </summary>
    public static void AppendBlockCrcs(ReadOnlySpan<byte> chunk, int from, int to, Span<uint> crcs)
    {
        while (from < to)
        {
            int block = from / ChunkLayout.BlockSize;
            int blockEnd = Math.Min((block + 1) * ChunkLayout.BlockSize, to);
            crcs[block] = Crc32C.Append(crcs[block], chunk[from..blockEnd]);
            from = blockEnd;
        }
    }

    /// <summary>The CRC32C of a whole chunk from the CRC32C of its blocks.</summary>
    public static uint CombineBlocks(ReadOnlySpan<uint> blockCrcs, int chunkLength)
    {
        if (blockCrcs.Length == 0)
        {
            return 0;
        }
        uint crc = blockCrcs[0];
        for (int i = 1; i < blockCrcs.Length; i++)
        {
            int start = i * ChunkLayout.BlockSize;
            crc = Crc32C.Combine(crc, blockCrcs[i], Math.Min(ChunkLayout.BlockSize, chunkLength - start));
        }
        return crc;
    }
}
