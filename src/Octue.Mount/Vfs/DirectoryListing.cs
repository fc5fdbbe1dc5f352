using System.Collections.Immutable;
using Octue.Mount.Caching;
using Octue.Mount.Octue;
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
/// A snapshot never changes; <see cref="With"/> and <see cref="Without"/> give a new one with a change this mount made
/// since the listing (a file uploaded, a file deleted), kept beside the listed entries rather than copied into them,
/// so a change costs nothing in proportion to the directory's size.
/// </summary>
internal sealed class DirectoryListing : ICachedListing<DirectoryListing>
{
    private readonly IReadOnlyList<ListingEntry> _listed;
    private readonly Dictionary<string, ListingEntry> _byName;
    /// <summary>Changes since the listing, by name: an entry, or null for a name removed.</summary>
    private readonly ImmutableSortedDictionary<string, ListingEntry?> _changes;
    private IReadOnlyList<ListingEntry>? _merged;

    public DirectoryListing(List<ListingEntry> entries, ObjectInfo? placeholder)
    {
        entries.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        _listed = entries;
        _byName = new Dictionary<string, ListingEntry>(entries.Count, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            _byName[entry.Name] = entry;
        }

        _changes = ImmutableSortedDictionary.Create<string, ListingEntry?>(StringComparer.Ordinal);
        _merged = entries;
        Placeholder = placeholder;
    }

    private DirectoryListing(DirectoryListing from, ImmutableSortedDictionary<string, ListingEntry?> changes, ObjectInfo? placeholder)
    {
        _listed = from._listed;
        _byName = from._byName;
        _changes = changes;
        Placeholder = placeholder;
    }

    /// <summary>The entries in name order.</summary>
    public IReadOnlyList<ListingEntry> Entries => _merged ??= Merge();

    /// <summary>About how many entries the listing holds (its cost in the metadata cache).</summary>
    public int ApproximateCount => _listed.Count + _changes.Count;

    /// <summary>The directory's own <c>dir/</c> placeholder object, when there is one.</summary>
    public ObjectInfo? Placeholder { get; }

    public bool TryGet(string name, out ListingEntry entry)
    {
        if (_changes.TryGetValue(name, out var changed))
        {
            entry = changed.GetValueOrDefault();
            return changed is not null;
        }

        return _byName.TryGetValue(name, out entry);
    }

    /// <summary>
    /// The listing with <paramref name="entry"/> added or replacing its name. A file never hides a directory of the
    /// same name (the directory is shown, as <see cref="DirectoryLister"/> does), and a directory already shown keeps
    /// its placeholder unless the new entry brings one.
    /// </summary>
    public DirectoryListing With(ListingEntry entry)
    {
        if (TryGet(entry.Name, out var existing) && existing.Kind == NodeKind.Directory)
        {
            if (entry.Kind != NodeKind.Directory || entry.Placeholder is null || ReferenceEquals(entry.Placeholder, existing.Placeholder))
            {
                return this;
            }
        }

        return new DirectoryListing(this, _changes.SetItem(entry.Name, entry), Placeholder);
    }

    /// <summary>The listing with the file or symbolic link <paramref name="info"/> as <paramref name="leaf"/>; unchanged when the name is hidden.</summary>
    public DirectoryListing WithObject(string leaf, ObjectInfo info)
    {
        if (!FileNameRule.IsValidSegment(leaf))
        {
            return this;
        }

        var kind = PosixMetadata.KindOf(info);
        return With(new ListingEntry(leaf, kind, info, info.Bucket, info.Name));
    }

    /// <summary>The listing with the sub-directory <paramref name="leaf"/> (and its placeholder, when known); unchanged when the name is hidden.</summary>
    public DirectoryListing WithDirectory(string leaf, string bucket, string prefix, ObjectInfo? placeholder) =>
        FileNameRule.IsValidSegment(leaf)
            ? With(new ListingEntry(leaf, NodeKind.Directory, null, bucket, prefix) { Placeholder = placeholder })
            : this;

    /// <summary>The listing without <paramref name="name"/>.</summary>
    public DirectoryListing Without(string name) =>
        TryGet(name, out _) ? new DirectoryListing(this, _changes.SetItem(name, null), Placeholder) : this;

    /// <summary>The listing with the directory's own placeholder replaced.</summary>
    public DirectoryListing WithPlaceholder(ObjectInfo? placeholder) => new(this, _changes, placeholder);

    public static DirectoryListing Empty() => new(new List<ListingEntry>(), null);

    private List<ListingEntry> Merge()
    {
        var merged = new List<ListingEntry>(_listed.Count + _changes.Count);
        var i = 0;
        foreach (var (name, change) in _changes)
        {
            while (i < _listed.Count && string.CompareOrdinal(_listed[i].Name, name) < 0)
            {
                merged.Add(_listed[i++]);
            }

            if (i < _listed.Count && _listed[i].Name == name)
            {
                i++;
            }

            if (change is { } entry)
            {
                merged.Add(entry);
            }
        }

        while (i < _listed.Count)
        {
            merged.Add(_listed[i++]);
        }

        return merged;
    }
}
