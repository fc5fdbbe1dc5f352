namespace Octue.Mount.Caching;

/// <summary>
/// The cache's record of one chunk of one object. Every field is guarded by the owning <see cref="ContentCache"/>'s lock.
/// A pinned slot is never evicted: readers pin the chunk they read (and fetches the chunk they fill), so a chunk
/// cannot vanish between its download and its read however small the cache is.
/// </summary>
internal sealed class ChunkSlot(CacheEntry entry, int index)
{
    public CacheEntry Entry { get; } = entry;
    public int Index { get; } = index;

    /// <summary>The chunk file exists and holds the whole chunk.</summary>
    public bool Present { get; set; }

    /// <summary>Size of the chunk file (header included): what it costs the cache.</summary>
    public long FileBytes { get; set; }

    /// <summary>CRC32C of each 64 KiB block, once the header was read (or the chunk written) in this process.</summary>
    public uint[]? BlockCrcs { get; set; }

    /// <summary>Bumped whenever the file is replaced or removed, so a late discard cannot remove a newer copy.</summary>
    public int Version { get; set; }

    public int Pins { get; set; }

    /// <summary>An open handle on the chunk file, kept while the object is open (closed on eviction or when the last reader closes).</summary>
    public Microsoft.Win32.SafeHandles.SafeFileHandle? Handle { get; set; }

    /// <summary>This slot's place in the LRU list while <see cref="Present"/>.</summary>
    public LinkedListNode<ChunkSlot>? LruNode { get; set; }

    /// <summary>The chunk's bytes still in their download buffer, if any.</summary>
    public HotChunk? Hot { get; set; }

    /// <summary>The download filling this chunk, so concurrent readers of one chunk share one GET.</summary>
    public Task? Fetch { get; set; }
}
