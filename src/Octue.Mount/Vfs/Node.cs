using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>What a directory node projects.</summary>
internal enum DirectoryRole
{
    /// <summary>A prefix of a bucket ("" = the bucket's root): children come from a delimited listing.</summary>
    Prefix,
    /// <summary>The root of a project mount: one child per bucket.</summary>
    ProjectRoot,
    /// <summary>The root of a manifest mount: one child per dataset.</summary>
    ManifestRoot,
    /// <summary>A manifest dataset given as a list of files (which may live in any bucket).</summary>
    FileList,
}

/// <summary>One file of a file-list dataset: the name it is shown under and the object it is.</summary>
internal readonly record struct FileListEntry(string Name, string Bucket, string ObjectName);

/// <summary>
/// A node of the tree. Its location (bucket and object name or prefix) is mutable because rename moves nodes;
/// it is read and changed under the node table's lock. A node stays in the table while the kernel holds lookups on
/// it or a handle is open.
/// </summary>
internal sealed class Node
{
    public Node(ulong id, NodeKind kind, Node? parent, string name, string bucket, string objectName, DirectoryRole role = DirectoryRole.Prefix)
    {
        Id = id;
        Kind = kind;
        Parent = parent;
        Name = name;
        Bucket = bucket;
        ObjectName = objectName;
        Role = role;
    }

    public ulong Id { get; }

    /// <summary>The inode number programs see (st_ino): given by the node table when the node joins it, then fixed.</summary>
    public ulong Inode { get; set; }

    public NodeKind Kind { get; }
    public DirectoryRole Role { get; }

    /// <summary>The directory holding the node (null for the root).</summary>
    public Node? Parent { get; set; }
    public string Name { get; set; }

    /// <summary>The bucket ("" for a project or manifest root).</summary>
    public string Bucket { get; set; }

    /// <summary>A file's or symlink's object name; a prefix directory's prefix ("" or ending in '/').</summary>
    public string ObjectName { get; set; }

    /// <summary>The files of a <see cref="DirectoryRole.FileList"/> dataset.</summary>
    public IReadOnlyList<FileListEntry>? Files { get; init; }

    /// <summary>The entries of a directory fixed at mount time (a manifest's root: one per dataset).</summary>
    public DirectoryListing? FixedListing { get; init; }

    /// <summary>The manifest's description of a dataset directory, when the node is one.</summary>
    public ManifestDatasetInfo? Dataset { get; init; }

    /// <summary>Lookups the kernel holds (FUSE forget subtracts).</summary>
    public long LookupCount { get; set; }

    /// <summary>Open file or directory handles.</summary>
    public int OpenCount { get; set; }

    /// <summary>Set when the node is no longer reachable by its name (unlinked, replaced).</summary>
    public bool Detached { get; set; }

    /// <summary>The object as last seen (files and symlinks), used for attributes when no fresher copy is cached.</summary>
    public ObjectInfo? LastKnown { get; set; }

    /// <summary>Write handles open on this node; getattr reports the size of their staged copy.</summary>
    public List<FileHandle> WriteHandles { get; } = new();

    /// <summary>Files created in this directory whose first upload has not happened yet (shown by readdir).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, Node> PendingCreates { get; } = new(StringComparer.Ordinal);

    public bool IsDirectory => Kind == NodeKind.Directory;

    public override string ToString() => Bucket.Length == 0 ? $"/{Name}" : $"gs://{Bucket}/{ObjectName}";
}
