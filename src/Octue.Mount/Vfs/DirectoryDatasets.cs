using System.Text;
using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// The dataset a directory is, if any, read from its metadata file (or the manifest's description of it) and kept
/// in the metadata cache for the TTL; a change to the file forgets it.
/// </summary>
internal sealed class DirectoryDatasets
{
    private readonly IObjectStore _store;
    private readonly IMetadataKnowledge<DirectoryListing> _metadata;
    private readonly FolderListings _listings;
    private readonly ILogger _logger;

    public DirectoryDatasets(IObjectStore store, IMetadataKnowledge<DirectoryListing> metadata, FolderListings listings, ILogger logger)
    {
        _store = store;
        _metadata = metadata;
        _listings = listings;
        _logger = logger;
    }

    /// <summary>Forgets what was read of the dataset of the folder <paramref name="prefix"/> (its metadata file changed).</summary>
    public void Forget(string bucket, string prefix) => _metadata.Remove(new DatasetKey(bucket, prefix));

    private readonly record struct DatasetKey(string Bucket, string Prefix);

    /// <summary>A dataset's metadata and the object it was read from.</summary>
    public sealed record DatasetFound(DatasetMetadata Metadata, string ObjectName, long Generation);

    /// <summary>
    /// The dataset a directory is, if any: <c>.octue</c>, else <c>dataset_metadata.json</c>, else <c>dataset.json</c>
    /// in the directory; for a manifest's dataset without such a file, the manifest's description of it.
    /// </summary>
    public async ValueTask<VfsResult<DatasetFound?>> OfAsync(Node dir, CancellationToken ct)
    {
        if (dir.Role == DirectoryRole.FileList)
        {
            return dir.Dataset is { } fromManifest ? FromManifest(fromManifest) : (DatasetFound?)null;
        }

        if (dir.Role != DirectoryRole.Prefix)
        {
            return (DatasetFound?)null;
        }

        var key = new DatasetKey(dir.Bucket, dir.ObjectName);
        if (_metadata.TryGet(key, out DatasetFound? cached))
        {
            return cached;
        }

        try
        {
            var listing = await _listings.GetAsync(dir, readWhole: false, ct).ConfigureAwait(false);
            DatasetFound? found = null;
            foreach (var fileName in DatasetMetadata.FileNames)
            {
                if (!listing.TryGet(fileName, out var entry) || entry.Object is not { } obj)
                {
                    continue;
                }

                await using var stream = await _store.OpenReadAsync(obj.Bucket, obj.Name, 0, null, obj.Generation, ct).ConfigureAwait(false);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                var json = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
                try
                {
                    found = new DatasetFound(DatasetMetadata.Parse(json, fileName), obj.Name, obj.Generation);
                }
                catch (OctueFormatException e)
                {
                    _logger.LogWarning("Dataset metadata gs://{Bucket}/{Name} cannot be read: {Problem}", obj.Bucket, obj.Name, e.Message);
                }

                break;
            }

            if (found is null && dir.Dataset is { } described)
            {
                found = FromManifest(described);
            }

            _metadata.Put(key, found);
            return found;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "read dataset metadata", dir.ToString());
        }
    }

    private static DatasetFound FromManifest(ManifestDatasetInfo info)
    {
        var description = info.Description;
        return new(new DatasetMetadata
        {
            Id = description.Id,
            Name = description.Name ?? info.Key,
            Tags = description.Tags,
            Labels = description.Labels,
            Path = description.Path,
            Files = description.Files,
        }, "", 0);
    }
}
