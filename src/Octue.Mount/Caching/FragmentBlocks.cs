namespace Octue.Mount.Caching;

/// <summary>
/// The blocks of one chunk that were downloaded on their own (a partial read of a chunk nobody downloaded whole) and
/// served to a reader: which were asked for, and the CRC32C of each that arrived. When the whole chunk is downloaded
/// later, these are compared with its blocks, so bytes served before the chunk could be checked are checked then.
/// Guarded by the owning <see cref="ContentCache"/>'s lock.
/// </summary>
internal sealed class FragmentBlocks(int blockCount)
{
    private readonly uint[] _crcs = new uint[blockCount];
    private readonly bool[] _reserved = new bool[blockCount];
    private readonly bool[] _arrived = new bool[blockCount];

    /// <summary>Blocks asked for so far (arrived or on their way).</summary>
    public int ReservedCount { get; private set; }

    /// <summary>
    /// Reserves <paramref name="count"/> blocks from <paramref name="first"/> unless that would take the blocks asked
    /// for past <paramref name="limit"/> (then nothing changes and the caller downloads the chunk whole).
    /// </summary>
    public bool TryReserve(int first, int count, int limit)
    {
        Span<bool> range = _reserved.AsSpan(first, count);
        int fresh = count - range.Count(true);
        if (ReservedCount + fresh > limit)
        {
            return false;
        }
        range.Fill(true);
        ReservedCount += fresh;
        return true;
    }

    /// <summary>Records the CRC32C of blocks that arrived; false when one differs from an earlier copy of the same block.</summary>
    public bool Record(int first, ReadOnlySpan<uint> crcs)
    {
        for (int i = 0; i < crcs.Length; i++)
        {
            int block = first + i;
            if (_arrived[block] && _crcs[block] != crcs[i])
            {
                return false;
            }
            _crcs[block] = crcs[i];
            _arrived[block] = true;
        }
        return true;
    }

    /// <summary>The first block whose recorded CRC32C differs from the whole chunk's (-1 when none does).</summary>
    public int FirstMismatch(ReadOnlySpan<uint> chunkBlockCrcs)
    {
        for (int block = 0; block < _crcs.Length && block < chunkBlockCrcs.Length; block++)
        {
            if (_arrived[block] && _crcs[block] != chunkBlockCrcs[block])
            {
                return block;
            }
        }
        return -1;
    }
}
