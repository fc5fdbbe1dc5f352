using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// One visible entry of a directory: a file or symlink (with its object), or a sub-directory (with what it projects).
/// </summary>
internal readonly record struct ListingEntry(string Name, NodeKind Kind, ObjectInfo? Object, string Bucket, string ObjectName)
{
    public DirectoryRole Role { get; init; }
    /// <summary>A sub-directory's own <c>dir/</c> placeholder, which keeps its attributes (null: none, or not listed).</summary>
    public ObjectInfo? Placeholder { get; init; }
    /// <summary>A folder of a files-list dataset: what it holds.</summary>
    public FileListFolder? Folder { get; init; }
    public ManifestDatasetInfo? Dataset { get; init; }
}

/// <summary>
/// A snapshot of a directory's visible entries, in name order, after <see cref="Octue.FileNameRule"/> was applied.
/// Built from one paged, delimited listing: entries carry the listing's object metadata, so attributes need no stat.
/// </summary>
internal sealed class DirectoryListing
{
    private readonly Dictionary<string, ListingEntry> _byName;

    public DirectoryListing(List<ListingEntry> entries, ObjectInfo? placeholder)
    {
        entries.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        Entries = entries;
        Placeholder = placeholder;
        _byName = new Dictionary<string, ListingEntry>(entries.Count, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            _byName[entry.Name] = entry;
        }
    }

    public IReadOnlyList<ListingEntry> Entries { get; }

    /// <summary>The directory's own <c>dir/</c> placeholder object, when there is one.</summary>
    public ObjectInfo? Placeholder { get; }

    public bool TryGet(string name, out ListingEntry entry) => _byName.TryGetValue(name, out entry);

    public static DirectoryListing Empty() => new(new List<ListingEntry>(), null);
}
