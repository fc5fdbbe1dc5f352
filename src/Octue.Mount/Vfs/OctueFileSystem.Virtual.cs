using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// Directories that are not a bucket prefix: a manifest's root and datasets given as file lists.
public sealed partial class OctueFileSystem
{
    private async Task<DirectoryListing> ListVirtualDirectoryAsync(Node dir, CancellationToken ct) => dir.Role switch
    {
        DirectoryRole.ManifestRoot => dir.FixedListing ?? DirectoryListing.Empty(),
        DirectoryRole.FileList => await ListFileListAsync(dir.Files ?? Array.Empty<FileListEntry>(), ct).ConfigureAwait(false),
        _ => DirectoryListing.Empty(),
    };

    /// <summary>
    /// The files of a file-list dataset, with attributes from one delimited listing per distinct folder they live in
    /// (never a stat per file). Listed files that do not exist are left out and logged.
    /// </summary>
    private async Task<DirectoryListing> ListFileListAsync(IReadOnlyList<FileListEntry> files, CancellationToken ct)
    {
        var folders = new Dictionary<(string Bucket, string Prefix), DirectoryListing>();
        var entries = new List<ListingEntry>(files.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var key = (file.Bucket, MetadataCache.ParentPrefix(file.ObjectName));
            if (!folders.TryGetValue(key, out var folder))
            {
                folder = _metadata.TryGetListing(key.Bucket, key.Item2)
                         ?? await _lister.ListAsync(key.Bucket, key.Item2, ct).ConfigureAwait(false);
                _metadata.PutListing(key.Bucket, key.Item2, folder);
                folders[key] = folder;
            }

            var leaf = file.ObjectName[key.Item2.Length..];
            if (!folder.TryGet(leaf, out var found) || found.Object is null)
            {
                Log.MissingDatasetFile(_logger, file.Bucket, file.ObjectName);
                continue;
            }

            if (!seen.Add(file.Name))
            {
                Log.DuplicateDatasetFile(_logger, file.Bucket, file.ObjectName, file.Name);
                continue;
            }

            entries.Add(new ListingEntry(file.Name, found.Kind, found.Object, file.Bucket, file.ObjectName));
        }

        return new DirectoryListing(entries, null);
    }
}
