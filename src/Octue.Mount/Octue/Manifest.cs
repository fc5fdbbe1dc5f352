using System.Text;
using Octue.Mount.Storage;

namespace Octue.Mount.Octue;

/// <summary>
/// A named collection of datasets with an id — the .NET form of the Octue SDK's <c>Manifest</c>. In the cloud a
/// manifest is one JSON object (<see cref="ManifestDocument"/>) naming each dataset by its location, or by an
/// explicit list of files that may live in any bucket.
/// </summary>
public sealed class Manifest
{
    private const string ManifestFileName = "manifest.json";

    /// <summary>A new manifest with a random id.</summary>
    public Manifest(IEnumerable<KeyValuePair<string, Dataset>>? datasets = null, string? name = null)
    {
        Id = Datafile.NewId();
        Name = name;
        if (datasets is not null)
            foreach (var (key, dataset) in datasets) Datasets[key] = dataset;
    }

    /// <summary>The manifest's id (a UUID; as stored when read, possibly null).</summary>
    public string? Id { get; set; }

    /// <summary>The manifest's name, if any.</summary>
    public string? Name { get; set; }

    /// <summary>The datasets by key (keys are the names the manifest gives them).</summary>
    public Dictionary<string, Dataset> Datasets { get; } = new(StringComparer.Ordinal);

    /// <summary>Where the manifest file lives in Cloud Storage, if it does.</summary>
    public CloudPath? CloudPath { get; private set; }

    /// <summary>
    /// Datasets the manifest names by a local (non-cloud) path, such as <c>data/input/raw</c>: key → path as written.
    /// They have no cloud files; they are kept so that nothing the manifest says is lost.
    /// </summary>
    public Dictionary<string, string> LocalDatasetPaths { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Writes the manifest to <c>gs://<paramref name="bucketName"/>/<paramref name="pathToManifestFile"/></c> and returns
    /// that URI. With <paramref name="storeDatasets"/> each dataset is first uploaded into the manifest file's folder
    /// (<c>&lt;folder&gt;/&lt;dataset name&gt;/…</c>); without it the manifest refers to each dataset where it already
    /// is (any bucket), which requires every dataset to be in the cloud.
    /// </summary>
    /// <exception cref="OctueFormatException">A dataset cannot be referred to or stored, or has invalid metadata (nothing is written).</exception>
    public Task<string> ToCloudAsync(string? projectName, string bucketName, string pathToManifestFile, bool storeDatasets = true,
        TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        ToCloudAsync(Datafile.CloudPathOf(bucketName, pathToManifestFile), storeDatasets, options, cancellationToken);

    /// <summary>Writes the manifest to a <c>gs://bucket/path/manifest.json</c> URI; see the other overload.</summary>
    public Task<string> ToCloudAsync(string cloudUri, bool storeDatasets = true, TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        ToCloudAsync(Octue.CloudPath.Parse(cloudUri), storeDatasets, options, cancellationToken);

    internal async Task<string> ToCloudAsync(CloudPath location, bool storeDatasets, TransferOptions? options, CancellationToken cancellationToken)
    {
        options ??= TransferOptions.Default;
        if (location.Path.Length == 0)
            throw new OctueFormatException($"manifest path '{location}'", "a manifest needs an object name, not just a bucket");

        var folder = location.Parent;
        if (storeDatasets)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (key, dataset) in Datasets)
                if (!names.Add(dataset.Name))
                    throw new OctueFormatException($"manifest dataset '{key}'", $"two datasets are named '{dataset.Name}' and would be stored in the same folder");
            // Checks every dataset's metadata before the first upload.
            foreach (var dataset in Datasets.Values)
                dataset.ValidateForUpload();
            foreach (var dataset in Datasets.Values)
                await dataset.ToCloudAsync(folder.Join(dataset.Name), options, cancellationToken).ConfigureAwait(false);
        }

        var json = ToDocument().ToJson();
        await FileTransfer.UploadBytesAsync(options.ResolveStore(), location, Encoding.UTF8.GetBytes(json), "application/json", cancellationToken)
            .ConfigureAwait(false);
        CloudPath = location;
        return location.ToString();
    }

    /// <summary>The manifest as a document in the current format (datasets referred to where they are in the cloud).</summary>
    /// <exception cref="OctueFormatException">A dataset is not in the cloud.</exception>
    public ManifestDocument ToDocument()
    {
        var datasets = new Dictionary<string, ManifestDatasetRef>(StringComparer.Ordinal);
        foreach (var (key, dataset) in Datasets)
            datasets[key] = ToReference(dataset);
        foreach (var (key, path) in LocalDatasetPaths)
            datasets.TryAdd(key, new ManifestDatasetRef { Path = path });
        return new ManifestDocument { Id = Id ?? Datafile.NewId(), Name = Name, Datasets = datasets };
    }

    private static ManifestDatasetRef ToReference(Dataset dataset)
    {
        if (dataset.CloudPath is { } location && !dataset.HasExplicitFileList)
            return new ManifestDatasetRef { Path = location.ToString() };

        var files = new List<string>(dataset.Files.Count);
        foreach (var file in dataset.Files)
        {
            if (file.CloudPath is not { } filePath)
                throw new OctueFormatException($"manifest dataset '{dataset.Name}'",
                    "the dataset is not in the cloud; store it with storeDatasets: true or upload it first");
            files.Add(filePath.ToString());
        }
        return new ManifestDatasetRef
        {
            Files = files,
            Id = dataset.Id,
            Name = dataset.Name,
            Path = dataset.CloudPath?.ToString(),
            Tags = dataset.Tags,
            Labels = dataset.Labels,
        };
    }

    /// <summary>
    /// Reads a manifest from <c>gs://<paramref name="bucketName"/>/<paramref name="pathToManifestFile"/></c> (either format)
    /// and every dataset it names (metadata only; no bytes are downloaded).
    /// </summary>
    /// <exception cref="ObjectNotFoundException">The manifest or a dataset it names does not exist.</exception>
    /// <exception cref="OctueFormatException">The manifest or a dataset's metadata is malformed.</exception>
    public static Task<Manifest> FromCloudAsync(string? projectName, string bucketName, string pathToManifestFile,
        TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        FromCloudAsync(Datafile.CloudPathOf(bucketName, pathToManifestFile), options, cancellationToken);

    /// <summary>Reads a manifest from a <c>gs://bucket/path</c> URI; see the other overload.</summary>
    public static Task<Manifest> FromCloudAsync(string cloudUri, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        FromCloudAsync(Octue.CloudPath.Parse(cloudUri), options, cancellationToken);

    internal static async Task<Manifest> FromCloudAsync(CloudPath location, TransferOptions? options, CancellationToken cancellationToken)
    {
        options ??= TransferOptions.Default;
        var store = options.ResolveStore();
        var info = await store.StatAsync(location.Bucket, location.Path, cancellationToken).ConfigureAwait(false)
            ?? throw new ObjectNotFoundException($"No manifest at {location}.");
        var document = ManifestDocument.Parse(await ObjectStoreListing.ReadTextAsync(store, info, cancellationToken).ConfigureAwait(false));

        var manifest = new Manifest { Id = document.Id, Name = document.Name, CloudPath = location };
        await manifest.AddDatasetsAsync(document, localFolder: null, options, cancellationToken).ConfigureAwait(false);
        return manifest;
    }

    // Resolves the datasets a document names: cloud ones through the store; local ones from localFolder (a manifest
    // file on disk) or, for a manifest in the cloud, kept as paths in LocalDatasetPaths.
    private async Task AddDatasetsAsync(ManifestDocument document, string? localFolder, TransferOptions options, CancellationToken cancellationToken)
    {
        foreach (var (key, reference) in document.Datasets)
        {
            if (!reference.IsCloud)
            {
                if (localFolder is null)
                    LocalDatasetPaths[key] = reference.Path!;
                else
                    Datasets[key] = Dataset.FromLocalDirectory(Path.GetFullPath(Path.Combine(localFolder, reference.Path!)));
                continue;
            }
            Dataset dataset;
            if (reference.Files is { } files)
            {
                CloudPath? datasetLocation = Octue.CloudPath.TryParse(reference.Path, out var parsed) ? parsed : null;
                dataset = await Dataset.FromFileListAsync(reference.Name ?? key, files, datasetLocation, options, cancellationToken).ConfigureAwait(false);
                dataset.Id = reference.Id;
                dataset.Tags = reference.Tags;
                dataset.Labels = reference.Labels;
            }
            else
            {
                dataset = await Dataset.FromCloudAsync(Octue.CloudPath.Parse(reference.Path!), options, cancellationToken).ConfigureAwait(false);
            }
            Datasets[key] = dataset;
        }
    }

    /// <summary>
    /// Downloads every dataset into <c><paramref name="localDirectory"/>/&lt;key&gt;/</c> (each verified) and writes
    /// <c>manifest.json</c> there, naming the datasets by their local folders.
    /// </summary>
    /// <returns>The path of the local manifest file.</returns>
    public async Task<string> DownloadAsync(string localDirectory, TransferOptions? options = null, CancellationToken cancellationToken = default)
    {
        var root = Path.GetFullPath(localDirectory);
        // Every dataset's files are checked together, before the first is written: keys are names from the manifest,
        // and two datasets must not meet in one folder any more than two objects in one file.
        var layout = new DownloadLayout(root);
        layout.AddFile(ManifestFileName, "the manifest's own manifest.json");
        foreach (var (key, dataset) in Datasets)
        {
            layout.AddFolder(key, $"dataset '{key}'");
            dataset.PlanDownload(layout, key + "/");
        }
        layout.ThrowIfInvalid();
        Directory.CreateDirectory(root);
        var local = new Dictionary<string, ManifestDatasetRef>(StringComparer.Ordinal);
        foreach (var (key, dataset) in Datasets)
        {
            var folder = Dataset.LocalFilePath(root, key);
            await dataset.DownloadAsync(folder, options, cancellationToken).ConfigureAwait(false);
            local[key] = new ManifestDatasetRef { Path = Dataset.NormaliseRelativePath(key) };
        }
        var document = new ManifestDocument { Id = Id, Name = Name, Datasets = local };
        var path = Path.Combine(root, ManifestFileName);
        await File.WriteAllTextAsync(path, document.ToJson(), cancellationToken).ConfigureAwait(false);
        return path;
    }

    /// <summary>
    /// A manifest read from a local file written by <see cref="DownloadAsync"/> (or by hand): local dataset folders
    /// (relative to the manifest's folder) are read with <see cref="Dataset.FromLocalDirectory"/>, datasets named by a
    /// gs:// URI or a file list are read from the cloud (metadata only).
    /// </summary>
    /// <exception cref="OctueFormatException">The manifest is malformed.</exception>
    /// <exception cref="ObjectNotFoundException">A cloud dataset it names does not exist.</exception>
    public static async Task<Manifest> FromLocalFileAsync(string path, TransferOptions? options = null, CancellationToken cancellationToken = default)
    {
        var full = Path.GetFullPath(path);
        var document = ManifestDocument.Parse(await File.ReadAllTextAsync(full, cancellationToken).ConfigureAwait(false));
        var manifest = new Manifest { Id = document.Id, Name = document.Name };
        await manifest.AddDatasetsAsync(document, Path.GetDirectoryName(full)!, options ?? TransferOptions.Default, cancellationToken)
            .ConfigureAwait(false);
        return manifest;
    }
}
