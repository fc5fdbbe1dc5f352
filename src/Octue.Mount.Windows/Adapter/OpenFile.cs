using Octue.Mount.Vfs;

namespace Octue.Mount.Windows.Adapter;

/// <summary>
/// One open instance (WinFsp file descriptor) of a file or directory. A GCHandle to it travels through WinFsp as
/// <c>UserContext2</c> of the full file context; the node's lookup count, taken when it was opened, is given back on
/// Close.
/// </summary>
internal sealed class OpenFile
{
    public OpenFile(ulong node, NodeKind kind, ulong? handle, bool writable)
    {
        Node = node;
        Kind = kind;
        Handle = handle;
        Writable = writable;
    }

    public ulong Node { get; }
    public NodeKind Kind { get; }

    /// <summary>The VFS file handle, when the open asked for data access; attribute-only opens have none.</summary>
    public ulong? Handle { get; }

    public bool Writable { get; }

    /// <summary>Whether this open holds a lookup count on <see cref="Node"/> (every node but the root does).</summary>
    public bool HoldsLookup { get; init; }

    /// <summary>The GCHandle WinFsp carries as UserContext2, freed at Close (or at unmount for files never closed).</summary>
    public nint ContextHandle { get; set; }

    /// <summary>The listing ReadDirectory pages through; taken afresh whenever WinFsp asks from the start (no marker).</summary>
    public DirectorySnapshot? Listing { get; set; }

    /// <summary>
    /// The last-write time (FILETIME) this open set explicitly with SetBasicInfo. NTFS keeps such a time for the rest
    /// of the handle's life, but the VFS stamps every write with the current time, and Windows often writes after
    /// setting it (CopyFile sets the source's time, then the cached pages reach the file system at Cleanup).
    /// 0 (WinFsp's "unchanged") when none was set; one 64-bit value, so concurrent writes never see half of it.
    /// </summary>
    public ulong ExplicitLastWriteTime { get; set; }

    /// <summary>Whether data or size changed through this open after <see cref="ExplicitLastWriteTime"/> was set.</summary>
    public bool ChangedSinceExplicitTime { get; set; }

    /// <summary>Set once Close ran, so a late asynchronous completion or a shutdown does not release twice.</summary>
    public int Closed;
}
