using Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// Builds one directory's <see cref="DirectoryListing"/> from what a delimited listing of its prefix returns (objects
/// whose names hold no <c>/</c> after the prefix, placeholders <c>sub/</c> listed beside their prefixes, and the
/// prefixes), in any number of pages, applying <see cref="FileNameRule"/>: hidden names are reported, a file that
/// collides with a directory is hidden.
/// </summary>
internal sealed class FolderListingBuilder
{
    private readonly string _bucket;
    private readonly string _prefix;
    private readonly Action<string, string, string> _hidden;
    private readonly List<ListingEntry> _files = new();
    private readonly List<string> _directories = new();
    private readonly HashSet<string> _directoryNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ObjectInfo> _placeholders = new(StringComparer.Ordinal);
    private ObjectInfo? _placeholder;

    /// <param name="bucket">The directory's bucket.</param>
    /// <param name="prefix">The directory's prefix, ending with <c>/</c> (empty for a bucket's root).</param>
    /// <param name="hidden">Told the bucket, the object name and the reason of every name the rule hides.</param>
    public FolderListingBuilder(string bucket, string prefix, Action<string, string, string> hidden)
    {
        _bucket = bucket;
        _prefix = prefix;
        _hidden = hidden;
    }

    /// <summary>The directory's prefix (<c>a/b/</c>; empty for a bucket's root).</summary>
    public string Prefix => _prefix;

    /// <summary>An object the listing returned: the directory's placeholder, a sub-directory's, or a file.</summary>
    public void AddObject(ObjectInfo obj)
    {
        if (obj.Name.Length == _prefix.Length)
        {
            _placeholder = obj;
            return;
        }

        var name = obj.Name[_prefix.Length..];
        if (name.IndexOf('/') == name.Length - 1)
        {
            // A sub-directory's placeholder ("sub/"), listed beside its prefix.
            _placeholders[name[..^1]] = obj;
            return;
        }

        if (!FileNameRule.IsValidSegment(name))
        {
            _hidden(_bucket, obj.Name, FileNameRule.Reason(name));
            return;
        }

        var kind = PosixMetadata.KindOf(obj);
        _files.Add(new ListingEntry(name, kind, obj, _bucket, obj.Name));
    }

    /// <summary>A prefix the listing returned (<c>a/b/sub/</c>): a sub-directory.</summary>
    public void AddPrefix(string sub)
    {
        var name = sub[_prefix.Length..^1];
        if (!FileNameRule.IsValidSegment(name))
        {
            _hidden(_bucket, sub, FileNameRule.Reason(name));
            return;
        }

        if (_directoryNames.Add(name))
        {
            _directories.Add(name);
        }
    }

    public DirectoryListing Build()
    {
        var entries = new List<ListingEntry>(_directories.Count + _files.Count);
        foreach (var name in _directories)
        {
            entries.Add(new ListingEntry(name, NodeKind.Directory, null, _bucket, _prefix + name + "/")
            {
                Placeholder = _placeholders.GetValueOrDefault(name),
            });
        }

        foreach (var file in _files)
        {
            if (_directoryNames.Contains(file.Name))
            {
                _hidden(_bucket, file.ObjectName, "a directory has the same name (the directory is shown)");
                continue;
            }

            entries.Add(file);
        }

        return new DirectoryListing(entries, _placeholder);
    }
}
