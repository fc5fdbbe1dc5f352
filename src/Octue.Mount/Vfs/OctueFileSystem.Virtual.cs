using System.Text;
using Microsoft.Extensions.Logging;
using Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// Directories that are not a bucket prefix: a manifest's root and datasets given as file lists.
public sealed partial class OctueFileSystem
{
    /// <summary>
    /// Reads the mounted manifest: one directory per dataset. A dataset given by a cloud path is that prefix (in any
    /// bucket, writable like a bucket mount), unless its own metadata file (<c>.octue</c>, or the old
    /// <c>dataset_metadata.json</c> / <c>dataset.json</c>) carries a <c>files</c> list; a dataset given as a
    /// <c>files</c> list, in the manifest or in that file, shows exactly those files (from any bucket) and nothing
    /// else. Datasets with a local path, and names that break <see cref="NameRules"/>, are left out and logged.
    /// </summary>
    private static async Task<DirectoryListing> LoadManifestAsync(IObjectStore store, MountSource source, ILogger logger, CancellationToken ct)
    {
        var uri = $"gs://{source.Bucket}/{source.ObjectName}";
        ObjectInfo? info;
        try
        {
            info = await store.StatAsync(source.Bucket!, source.ObjectName!, ct).ConfigureAwait(false);
        }
        catch (PermissionDeniedException e)
        {
            throw new MountSourceNotFoundException($"Manifest {uri} cannot be read with these credentials: {e.Message}", e);
        }
        catch (ObjectNotFoundException e)
        {
            throw new MountSourceNotFoundException($"Manifest {uri} does not exist (no bucket '{source.Bucket}').", e);
        }

        if (info is null)
        {
            throw new MountSourceNotFoundException($"Manifest {uri} does not exist.");
        }

        string json;
        await using (var stream = await store.OpenReadAsync(info.Bucket, info.Name, 0, null, info.Generation, ct).ConfigureAwait(false))
        using (var reader = new StreamReader(stream, Encoding.UTF8))
        {
            json = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
        }

        ManifestDocument manifest;
        try
        {
            manifest = ManifestDocument.Parse(json);
        }
        catch (OctueFormatException e)
        {
            throw new FormatException($"Manifest {uri} cannot be read: {e.Message}", e);
        }

        var entries = new List<ListingEntry>(manifest.Datasets.Count);
        foreach (var (key, reference) in manifest.Datasets)
        {
            if (!NameRules.IsValidSegment(key))
            {
                logger.LogWarning("Dataset '{Key}' of {Manifest} is not shown because {Reason}", key, uri, NameRules.Reason(key));
                continue;
            }

            var dataset = new ManifestDatasetInfo(key, reference);
            if (reference.Files is { } files)
            {
                entries.Add(FileListDataset(key, dataset, files, uri, logger));
            }
            else if (CloudPath.TryParse(reference.Path, out var location))
            {
                var prefix = location.Path.Length == 0 ? "" : location.Path.TrimEnd('/') + "/";
                var own = await ReadDatasetMetadataAsync(store, location.Bucket, prefix, logger, ct).ConfigureAwait(false);
                if (own?.Files is { } listed)
                {
                    // The dataset's own metadata names exactly its files: it is that list, described by that file.
                    var described = new ManifestDatasetInfo(key, reference with
                    {
                        Files = listed,
                        Id = own.Id ?? reference.Id,
                        Name = own.Name ?? reference.Name,
                        Tags = own.Tags,
                        Labels = own.Labels,
                    });
                    entries.Add(FileListDataset(key, described, listed, $"gs://{location.Bucket}/{prefix}", logger));
                }
                else
                {
                    entries.Add(new ListingEntry(key, NodeKind.Directory, null, location.Bucket, prefix) { Role = DirectoryRole.Prefix, Dataset = dataset });
                }
            }
            else
            {
                logger.LogWarning("Dataset '{Key}' of {Manifest} has the local path '{Path}', not a cloud location; it is not shown", key, uri, reference.Path);
            }
        }

        return new DirectoryListing(entries, null);
    }

    /// <summary>The directory of a dataset that is exactly <paramref name="files"/> (gs:// URIs); other entries are logged and left out.</summary>
    private static ListingEntry FileListDataset(string key, ManifestDatasetInfo dataset, IReadOnlyList<string> files, string source, ILogger logger)
    {
        var list = new List<FileListEntry>(files.Count);
        foreach (var file in files)
        {
            if (!CloudPath.TryParse(file, out var path) || path.Path.Length == 0)
            {
                logger.LogWarning("File '{File}' of dataset '{Key}' in {Source} is not a gs:// object; it is not shown", file, key, source);
                continue;
            }

            var name = path.Name;
            if (!NameRules.IsValidSegment(name))
            {
                logger.LogWarning("File {File} of dataset '{Key}' is not shown because {Reason}", file, key, NameRules.Reason(name));
                continue;
            }

            list.Add(new FileListEntry(name, path.Bucket, path.Path));
        }

        return new ListingEntry(key, NodeKind.Directory, null, "", "") { Role = DirectoryRole.FileList, Files = list, Dataset = dataset };
    }

    /// <summary>
    /// The metadata file of the dataset at <paramref name="prefix"/>, looked for in the order the SDK does; null when
    /// there is none or it cannot be read (the dataset is then shown as its prefix, and the problem logged).
    /// </summary>
    private static async Task<DatasetMetadata?> ReadDatasetMetadataAsync(IObjectStore store, string bucket, string prefix, ILogger logger, CancellationToken ct)
    {
        foreach (var fileName in DatasetMetadata.FileNames)
        {
            var name = prefix + fileName;
            try
            {
                var info = await store.StatAsync(bucket, name, ct).ConfigureAwait(false);
                if (info is null)
                {
                    continue;
                }

                string json;
                await using (var stream = await store.OpenReadAsync(bucket, name, 0, null, info.Generation, ct).ConfigureAwait(false))
                using (var reader = new StreamReader(stream, Encoding.UTF8))
                {
                    json = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
                }

                return DatasetMetadata.Parse(json, fileName);
            }
            catch (Exception e) when (e is OctueFormatException or ObjectStoreException)
            {
                logger.LogWarning("Dataset metadata gs://{Bucket}/{Name} cannot be read ({Problem}); the dataset shows its whole prefix", bucket, name, e.Message);
                return null;
            }
        }

        return null;
    }

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
                folder = await ListFolderAsync(key.Bucket, key.Item2, readWhole: true, ct).ConfigureAwait(false);
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
