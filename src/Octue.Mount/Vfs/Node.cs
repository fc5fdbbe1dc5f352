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
    /// <summary>A manifest dataset given as a list of files (which may live in any bucket), or a folder inside one.</summary>
    FileList,
    /// <summary>
    /// A dataset of the mounted manifest not looked into yet: whether it is a prefix or a files list (its metadata
    /// file may say so), and whether its bucket exists, is learnt on its first use (<see cref="Node.Project"/>).
    /// </summary>
    Dataset,
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
        _role = (int)role;
    }

    private int _role;

    public ulong Id { get; }

    /// <summary>The inode number programs see (st_ino): given by the node table when the node joins it, then fixed.</summary>
    public ulong Inode { get; set; }

    public NodeKind Kind { get; }

    /// <summary>What the directory projects; changes once, from <see cref="DirectoryRole.Dataset"/>, when a manifest's dataset is first used.</summary>
    public DirectoryRole Role => (DirectoryRole)Volatile.Read(ref _role);

    /// <summary>The directory holding the node (null for the root).</summary>
    public Node? Parent { get; set; }
    public string Name { get; set; }

    /// <summary>The bucket ("" for a project or manifest root).</summary>
    public string Bucket { get; set; }

    /// <summary>A file's or symlink's object name; a prefix directory's prefix ("" or ending in '/').</summary>
    public string ObjectName { get; set; }

    /// <summary>The files and sub-folders of a <see cref="DirectoryRole.FileList"/> directory.</summary>
    public FileListFolder? Folder { get; set; }

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

    /// <summary>The last opened write handle that holds a staged copy: what the file is while it is written.</summary>
    public FileHandle? ActiveWriter()
    {
        lock (WriteHandles)
        {
            for (var i = WriteHandles.Count - 1; i >= 0; i--)
            {
                if (WriteHandles[i].Staged is not null)
                {
                    return WriteHandles[i];
                }
            }
        }

        return null;
    }

    /// <summary>The write handles open on a file, in the order they were opened.</summary>
    public FileHandle[] Writers()
    {
        lock (WriteHandles)
        {
            return WriteHandles.ToArray();
        }
    }

    /// <summary>True when files created in this directory are still only in their writers' staged copies.</summary>
    public bool HasPendingCreates()
    {
        foreach (var (_, child) in PendingCreates)
        {
            if (!child.Detached && child.ActiveWriter() is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Sub-folders of this directory read whole (opendir) since the mount started: two mean a walk.</summary>
    public int SubfoldersRead;

    /// <summary>1 while a <see cref="SubfolderPrefetch"/> of this directory's sub-folders runs.</summary>
    public int Prefetching;

    /// <summary>
    /// Makes a <see cref="DirectoryRole.Dataset"/> node what its dataset turned out to be. Every node of one dataset
    /// gets the same projection, so a second call changes nothing; the role is written last, so a reader that sees
    /// the new role sees the location with it.
    /// </summary>
    public void Project(DatasetProjection projection)
    {
        Bucket = projection.Bucket;
        ObjectName = projection.Prefix;
        Folder = projection.Folder;
        Volatile.Write(ref _role, (int)projection.Role);
    }

    public override string ToString() => Bucket.Length == 0 ? $"/{Name}" : $"gs://{Bucket}/{ObjectName}";
}
