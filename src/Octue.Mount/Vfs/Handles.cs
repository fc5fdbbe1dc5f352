using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// An open file. Reads go through the read path (verified, cached) unless the handle has a staged copy, which then
/// serves reads and takes writes. Operations on one handle are serialised by <see cref="Gate"/>.
/// </summary>
internal sealed class FileHandle
{
    public FileHandle(ulong id, Node node, OpenFlags flags, ObjectInfo? baseObject)
    {
        Id = id;
        Node = node;
        Flags = flags;
        Base = baseObject;
    }

    public ulong Id { get; }
    public Node Node { get; }
    public OpenFlags Flags { get; }

    /// <summary>The object this handle's view is based on (null = a new file not yet uploaded).</summary>
    public ObjectInfo? Base { get; set; }

    /// <summary>The reader of <see cref="Base"/>, opened on the first read.</summary>
    public IObjectReader? Reader
    {
        get => Volatile.Read(ref ReaderField);
        set => Volatile.Write(ref ReaderField, value);
    }

    internal IObjectReader? ReaderField;

    /// <summary>Readers replaced while a concurrent read may still use them (a rebase, a detached copy): disposed at release.</summary>
    private List<IObjectReader>? _retiredReaders;

    /// <summary>The write side's state: the staged copy, whether it differs from the object, and why it can no longer be saved.</summary>
    public HandleWrites Writes { get; } = new();

    /// <summary>The staged copy, which serves reads and takes writes once the handle changed the file (<see cref="HandleWrites.Staged"/>).</summary>
    public StagedFile? Staged => Writes.Staged;

    /// <summary>
    /// Opened on metadata this mount already held, without asking the store: the handle's first read revalidates
    /// <see cref="Base"/> before it serves a byte (close-to-open), and clears this.
    /// </summary>
    public bool Unconfirmed
    {
        get => Volatile.Read(ref _unconfirmed);
        set => Volatile.Write(ref _unconfirmed, value);
    }

    private bool _unconfirmed;

    /// <summary>
    /// Why this handle's changes can no longer be saved (None while they can): Stale once its upload lost a race (the
    /// bytes went to conflicts/), or the error of a write, truncation or extension its staged copy missed (the copy
    /// was discarded at once). Every later write, flush, fsync and close returns it, and nothing of the handle is
    /// uploaded: the object keeps the bytes it had (<see cref="WriteStage.Conflicted"/>).
    /// </summary>
    public VfsError Failure => Writes.Failure;

    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>The staged copy's modification time: the last write, or what setattr set.</summary>
    public long ModifiedNs { get; set; }

    public bool CanWrite => (Flags & OpenFlags.Write) != 0;

    /// <summary>
    /// Makes <paramref name="next"/> the handle's reader (null: the next read opens one for <see cref="Base"/>) if the
    /// reader is still <paramref name="expected"/>; the one it replaces is kept until release, since a read already
    /// in flight may be using it. False when another thread replaced it first.
    /// </summary>
    public bool ReplaceReader(IObjectReader? expected, IObjectReader? next)
    {
        if (Interlocked.CompareExchange(ref ReaderField, next, expected) != expected)
        {
            return false;
        }

        if (expected is not null)
        {
            lock (Gate)
            {
                (_retiredReaders ??= new List<IObjectReader>()).Add(expected);
            }
        }

        return true;
    }

    /// <summary>Disposes the reader and every reader it replaced (at release, when no read is in flight).</summary>
    public async ValueTask DisposeReadersAsync()
    {
        var current = Interlocked.Exchange(ref ReaderField, null);
        List<IObjectReader>? retired;
        lock (Gate)
        {
            retired = _retiredReaders;
            _retiredReaders = null;
        }

        if (current is not null)
        {
            await current.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var reader in retired ?? [])
        {
            await reader.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>An open directory: the snapshot readdir pages through, and the nodes made for its entries.</summary>
internal sealed class DirectoryHandle
{
    public DirectoryHandle(ulong id, Node node, DirectoryListing listing)
    {
        Id = id;
        Node = node;
        Listing = listing;
    }

    public ulong Id { get; }
    public Node Node { get; }
    public DirectoryListing Listing { get; }

    /// <summary>Nodes created for entries; released at close unless the kernel took a lookup on them.</summary>
    public List<Node> EntryNodes { get; } = new();

    public Lock Sync { get; } = new();
}
