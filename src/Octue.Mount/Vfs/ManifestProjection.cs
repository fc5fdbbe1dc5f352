using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// Directories that are not a bucket prefix: a manifest's root (its datasets), what each dataset shows (a prefix of
/// a bucket, or the files a list names), and the folders of a files-list dataset. It owns what it remembers for the
/// mount: which buckets exist, which listed files were reported missing.
/// </summary>
internal sealed class ManifestProjection
{
    private readonly IObjectStore _store;
    private readonly ILogger _logger;
    private readonly Func<string, string, CancellationToken, Task<DirectoryListing>> _listFolder;
    private readonly ConcurrentDictionary<string, Task<bool>> _bucketsSeen = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Bucket, string Name), byte> _missingFilesLogged = new();

    /// <param name="store">The mount's store (through the metadata cache).</param>
    /// <param name="logger">Where datasets and files that cannot be shown are reported.</param>
    /// <param name="listFolder">
    /// The listing of a folder of a bucket (from the metadata cache when fresh), empty when the bucket does not exist:
    /// the files a files-list dataset names are found in their folders' listings.
    /// </param>
    public ManifestProjection(IObjectStore store, ILogger logger, Func<string, string, CancellationToken, Task<DirectoryListing>> listFolder)
    {
        _store = store;
        _logger = logger;
        _listFolder = listFolder;
    }

    /// <summary>
    /// Reads the mounted manifest: one directory per dataset, each worked out on its first use
    /// (<see cref="ProjectAsync"/>). Datasets with a local path, and names that break <see cref="FileNameRule"/>,
    /// are left out and logged.
    /// </summary>
    public static async Task<DirectoryListing> LoadAsync(IObjectStore store, MountSource source, ILogger logger, CancellationToken ct)
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
            if (!FileNameRule.IsValidSegment(key))
            {
                logger.LogWarning("Dataset '{Key}' of {Manifest} is not shown because {Reason}", key, uri, FileNameRule.Reason(key));
                continue;
            }

            if (reference.Files is null && !CloudPath.TryParse(reference.Path, out _))
            {
                Log.DatasetNotInCloud(logger, key, uri, reference.Path);
                continue;
            }

            // Nothing of the dataset is read yet: a manifest of 100,000 datasets mounts and lists with the manifest's own
            // two requests (its stat and its read).
            entries.Add(new ListingEntry(key, NodeKind.Directory, null, "", "") { Role = DirectoryRole.Dataset, Dataset = new ManifestDatasetInfo(key, reference) });
        }

        return new DirectoryListing(entries, null);
    }

    /// <summary>
    /// What a manifest's dataset shows. A dataset given by a cloud path is that prefix (in any bucket, writable like a
    /// bucket mount), unless its own metadata file (<c>.octue</c>, or the old <c>dataset_metadata.json</c> /
    /// <c>dataset.json</c>) carries a <c>files</c> list; a dataset given as a <c>files</c> list, in the manifest or
    /// in that file, shows exactly those files (from any bucket) and nothing else, each at its path in the dataset. A
    /// dataset whose bucket does not exist, or cannot be read, is an empty folder that accepts nothing: its name is
    /// listed (the manifest's root is listed from the manifest alone), so it cannot be "not found" on a second look.
    /// </summary>
    public async Task<DatasetProjection> ProjectAsync(ManifestDatasetInfo dataset, CancellationToken ct)
    {
        var reference = dataset.Reference;
        var described = $"'{dataset.Key}'";
        if (reference.Files is { } files)
        {
            CloudPath? own = CloudPath.TryParse(reference.Path, out var path) ? path : null;
            return new DatasetProjection(DirectoryRole.FileList, "", "", FileListFolder.Build(files, own, described, _logger), reference);
        }

        var location = CloudPath.Parse(reference.Path!);
        var prefix = location.Path.Length == 0 ? "" : location.Path + "/";
        DatasetMetadata? metadata;
        try
        {
            metadata = await ReadDatasetMetadataAsync(location.Bucket, prefix, ct).ConfigureAwait(false);
            if (metadata is null && !await BucketExistsAsync(location.Bucket, ct).ConfigureAwait(false))
            {
                return Unreachable(dataset, $"is in the bucket '{location.Bucket}', which does not exist");
            }
        }
        catch (PermissionDeniedException e)
        {
            return Unreachable(dataset, $"cannot be read with these credentials ({e.Message})");
        }

        if (metadata?.Files is { } listed)
        {
            // The dataset's own metadata names exactly its files: it is that list, described by that file.
            var own = reference with
            {
                Files = listed,
                Id = metadata.Id ?? reference.Id,
                Name = metadata.Name ?? reference.Name,
                Tags = metadata.Tags,
                Labels = metadata.Labels,
            };
            return new DatasetProjection(DirectoryRole.FileList, "", "", FileListFolder.Build(listed, location, described, _logger), own);
        }

        return new DatasetProjection(DirectoryRole.Prefix, location.Bucket, prefix, null, reference);
    }

    private DatasetProjection Unreachable(ManifestDatasetInfo dataset, string reason)
    {
        _logger.LogWarning("Dataset '{Key}' of the manifest ({Path}) {Reason}: its folder is shown empty and accepts no changes", dataset.Key, dataset.Reference.Path, reason);
        return new DatasetProjection(DirectoryRole.FileList, "", "", FileListFolder.Empty(), dataset.Reference);
    }

    /// <summary>Whether a bucket exists, asked once per bucket for the mount (many datasets may share one).</summary>
    private async Task<bool> BucketExistsAsync(string bucket, CancellationToken ct)
    {
        var known = _bucketsSeen.GetOrAdd(bucket, name => _store.BucketExistsAsync(name, ct));
        try
        {
            return await known.ConfigureAwait(false);
        }
        catch
        {
            // A failure that may pass is not remembered: whoever shared this ask fails with it, the next use asks again.
            _bucketsSeen.TryRemove(new KeyValuePair<string, Task<bool>>(bucket, known));
            throw;
        }
    }

    /// <summary>
    /// The metadata file of the dataset at <paramref name="prefix"/>, looked for in the order the SDK does (the three
    /// names are asked for at once); null when there is none. A file that is not valid is logged and skipped (the
    /// dataset then shows its whole prefix).
    /// </summary>
    private async Task<DatasetMetadata?> ReadDatasetMetadataAsync(string bucket, string prefix, CancellationToken ct)
    {
        var names = DatasetMetadata.FileNames;
        var stats = new Task<ObjectInfo?>[names.Count];
        for (var i = 0; i < names.Count; i++)
        {
            stats[i] = _store.StatAsync(bucket, prefix + names[i], ct);
        }

        await Task.WhenAll(stats).ConfigureAwait(false);
        for (var i = 0; i < names.Count; i++)
        {
            if (stats[i].Result is not { } info)
            {
                continue;
            }

            string json;
            await using (var stream = await _store.OpenReadAsync(bucket, info.Name, 0, null, info.Generation, ct).ConfigureAwait(false))
            using (var reader = new StreamReader(stream, Encoding.UTF8))
            {
                json = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
            }

            try
            {
                return DatasetMetadata.Parse(json, names[i]);
            }
            catch (OctueFormatException e)
            {
                _logger.LogWarning("Dataset metadata gs://{Bucket}/{Name} cannot be read ({Problem}); the dataset shows its whole prefix", bucket, info.Name, e.Message);
                return null;
            }
        }

        return null;
    }

    public async Task<DirectoryListing> ListAsync(Node dir, CancellationToken ct) => dir.Role switch
    {
        DirectoryRole.ManifestRoot => dir.FixedListing ?? DirectoryListing.Empty(),
        DirectoryRole.FileList => await ListFileListAsync(dir.Folder ?? FileListFolder.Empty(), ct).ConfigureAwait(false),
        _ => DirectoryListing.Empty(),
    };

    /// <summary>
    /// A folder of a file-list dataset: its sub-folders, and its files with attributes from one delimited listing per
    /// distinct folder of the bucket they live in (never a stat per file). Listed files that do not exist, or whose
    /// bucket does not, are left out and logged once.
    /// </summary>
    private async Task<DirectoryListing> ListFileListAsync(FileListFolder folder, CancellationToken ct)
    {
        var listings = new Dictionary<(string Bucket, string Prefix), DirectoryListing>();
        var entries = new List<ListingEntry>(folder.Files.Count + folder.Folders.Count);
        foreach (var (name, sub) in folder.Folders)
        {
            entries.Add(new ListingEntry(name, NodeKind.Directory, null, "", "") { Role = DirectoryRole.FileList, Folder = sub });
        }

        foreach (var file in folder.Files.Values)
        {
            var key = (file.Bucket, ObjectNames.ParentPrefix(file.ObjectName));
            if (!listings.TryGetValue(key, out var listing))
            {
                listing = await _listFolder(key.Bucket, key.Item2, ct).ConfigureAwait(false);
                listings[key] = listing;
            }

            var leaf = file.ObjectName[key.Item2.Length..];
            if (!listing.TryGet(leaf, out var found) || found.Object is null)
            {
                if (_missingFilesLogged.TryAdd((file.Bucket, file.ObjectName), 0))
                {
                    Log.MissingDatasetFile(_logger, file.Bucket, file.ObjectName);
                }

                continue;
            }

            entries.Add(new ListingEntry(file.Name, found.Kind, found.Object, file.Bucket, file.ObjectName));
        }

        return new DirectoryListing(entries, null);
    }
}
