using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// What the cache knows of one object generation: its layout and hashes, which chunks are on disk, the CRC32C of
/// every chunk seen so far (the pieces of the full-object check, combined once all are known, in whatever order they
/// arrived) and its integrity state. Guarded by the owning <see cref="ContentCache"/>'s lock, except the immutable
/// fields and <see cref="Epoch"/>, which readers may read without it.
/// </summary>
internal sealed class CacheEntry(ObjectKey key, string directoryPath)
{
    private int _epoch;

    public ObjectKey Key { get; } = key;
    public string DirectoryPath { get; } = directoryPath;
    public string StatePath => Path.Combine(DirectoryPath, EntryStateFile.FileName);

    public bool HasLayout { get; private set; }
    public ChunkLayout Layout { get; private set; }
    public uint? Crc32c { get; private set; }
    public byte[]? Md5 { get; private set; }

    public IntegrityState Integrity { get; set; }

    /// <summary>
    /// Bumped when the cached copy is dropped after a failed check: readers opened before it are poisoned, and
    /// downloads started before it are not stored.
    /// </summary>
    public int Epoch => Volatile.Read(ref _epoch);

    public ChunkSlot?[] Slots { get; private set; } = [];
    public uint[] ChunkCrcs { get; private set; } = [];
    public bool[] Known { get; private set; } = [];
    public int KnownCount { get; private set; }

    /// <summary>The full-object check of the current epoch has been claimed by one caller.</summary>
    public bool VerificationClaimed { get; set; }

    public int OpenReaders { get; set; }

    /// <summary>The state file on disk describes <see cref="Layout"/> (a chunk file is only written after it).</summary>
    public bool LayoutPersisted { get; set; }

    /// <summary>Serialises writes of the state file.</summary>
    public SemaphoreSlim PersistLock { get; } = new(1, 1);

    public void SetLayout(ChunkLayout layout, uint? crc32c, byte[]? md5)
    {
        Layout = layout;
        Crc32c = crc32c;
        Md5 = md5;
        HasLayout = true;
        Slots = new ChunkSlot?[layout.ChunkCount];
        ChunkCrcs = new uint[layout.ChunkCount];
        Known = new bool[layout.ChunkCount];
        KnownCount = 0;
    }

    /// <summary>True when this entry describes the same bytes as <paramref name="obj"/>.</summary>
    public bool Matches(ObjectInfo obj) =>
        Layout.ObjectSize == obj.Size
        && Crc32c == obj.Crc32c
        && (Md5 is null || obj.Md5 is null || Md5.AsSpan().SequenceEqual(obj.Md5));

    public string ChunkPath(int index) => Path.Combine(DirectoryPath, index.ToString("D8", System.Globalization.CultureInfo.InvariantCulture) + ChunkFileExtension);

    public const string ChunkFileExtension = ".chunk";

    /// <summary>The whole object in one file, assembled from verified chunks and checked, for FUSE passthrough.</summary>
    public const string WholeFileName = "object.data";

    public string WholeFilePath => Path.Combine(DirectoryPath, WholeFileName);

    /// <summary>The checked whole-object file, when there is one (its length and last-write time when checked).</summary>
    public WholeFileInfo? WholeFile { get; set; }

    /// <summary>An assembly of the whole-object file is queued or running.</summary>
    public bool WholeFileQueued { get; set; }

    /// <summary>This entry's place in the cache's list of whole-object files.</summary>
    public LinkedListNode<CacheEntry>? WholeFileNode { get; set; }

    /// <summary>Chunks whose file is in the cache.</summary>
    public int PresentCount
    {
        get
        {
            int count = 0;
            foreach (ChunkSlot? slot in Slots)
            {
                if (slot is { Present: true })
                {
                    count++;
                }
            }
            return count;
        }
    }

    public ChunkSlot Slot(int index) => Slots[index] ??= new ChunkSlot(this, index);

    /// <summary>Blocks of chunks downloaded on their own for partial reads, by chunk (null until the first).</summary>
    public Dictionary<int, FragmentBlocks>? Fragments { get; set; }

    public void RecordKnown(int index, uint crc)
    {
        ChunkCrcs[index] = crc;
        if (!Known[index])
        {
            Known[index] = true;
            KnownCount++;
        }
    }

    /// <summary>Forgets every chunk CRC (after a failed check: the next full read starts afresh).</summary>
    public void ResetKnowledge()
    {
        Array.Clear(ChunkCrcs);
        Array.Clear(Known);
        KnownCount = 0;
        VerificationClaimed = false;
        Fragments = null;
    }

    public void NextEpoch() => Interlocked.Increment(ref _epoch);
}

/// <summary>A checked whole-object file: its length and its last-write time (UTC ticks) when it was checked.</summary>
internal readonly record struct WholeFileInfo(long Length, long WrittenTicks)
{
    /// <summary>
    /// Whether <paramref name="file"/> is still the file that was checked: same length, same last-write time. Any
    /// write through the file system, or a truncation, changes one of them.
    /// </summary>
    public bool Describes(FileInfo file) => file.Exists && file.Length == Length && file.LastWriteTimeUtc.Ticks == WrittenTicks;
}
