// Over 400 lines: the Dataset API mirrors the Python SDK's class member for member (local, cloud, metadata, transfers).
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Octue.Mount.Storage;

namespace Octue.Mount.Octue;

/// <summary>
/// A named set of datafiles with an id, tags and labels — the .NET form of the Octue SDK's <c>Dataset</c>. In the
/// cloud a dataset is a prefix ("directory") of datafiles plus a <c>.octue</c> metadata file; sub-folders are kept.
/// Reading also understands the old <c>dataset_metadata.json</c> / <c>dataset.json</c> and an explicit
/// <c>files</c> list (then the dataset is exactly those files, which may live in any bucket).
/// </summary>
/// <remarks>
/// Locally, <see cref="DownloadAsync"/> writes a <c>.octue</c> file into the folder holding the dataset's metadata and
/// each datafile's Octue metadata (under <c>"datafiles"</c>, keyed by path in the dataset), and
/// <see cref="FromLocalDirectory"/> reads it back, so a download followed by an upload keeps ids, tags and labels.
/// </remarks>
public sealed class Dataset
{
    private const string LocalDatafilesKey = "datafiles";
    private readonly List<Datafile> _files = [];

    /// <summary>A new dataset with a random id.</summary>
    /// <param name="name">The dataset's name (its folder name in the cloud).</param>
    /// <param name="files">Its datafiles; each is placed at its <see cref="Datafile.PathInDataset"/> or, when unset, its file name.</param>
    public Dataset(string name, IEnumerable<Datafile>? files = null)
    {
        Name = name;
        Id = Datafile.NewId();
        if (files is not null)
            foreach (var file in files) Add(file);
    }

    /// <summary>The dataset's id (a UUID; null when read from a location that records none).</summary>
    public string? Id { get; set; }

    /// <summary>The dataset's name.</summary>
    public string Name { get; set; }

    /// <summary>The tags.</summary>
    public TagDict Tags { get; set; } = new();

    /// <summary>The labels.</summary>
    public LabelSet Labels { get; set; } = new();

    /// <summary>The datafiles, each with its <see cref="Datafile.PathInDataset"/>.</summary>
    public IReadOnlyList<Datafile> Files => _files;

    /// <summary>Where the dataset lives in Cloud Storage, if it does.</summary>
    public CloudPath? CloudPath { get; private set; }

    /// <summary>The local folder holding the dataset, if any.</summary>
    public string? LocalPath { get; private set; }

    /// <summary>True when the dataset was defined by an explicit file list rather than a folder listing.</summary>
    public bool HasExplicitFileList { get; private set; }

    /// <summary>Adds a datafile at <paramref name="pathInDataset"/> (default: its current path in a dataset, else its name).</summary>
    /// <exception cref="OctueFormatException">The path is empty or climbs out of the dataset.</exception>
    public void Add(Datafile file, string? pathInDataset = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        file.PathInDataset = NormaliseRelativePath(pathInDataset ?? file.PathInDataset ?? file.Name);
        file.ListedPath = null;
        _files.Add(file);
    }

    /// <summary>
    /// Adds a datafile found in the cloud under <paramref name="listedPath"/> (its object name below the dataset's
    /// folder, as stored). Its path in the dataset is that path normalised where it can be; the name as stored is kept
    /// for a download, which refuses names that cannot be local files rather than letting two objects meet in one.
    /// </summary>
    private void AddListed(Datafile file, string listedPath)
    {
        file.ListedPath = listedPath;
        file.PathInDataset = Octue.CloudPath.TryNormalise(listedPath.Replace('\\', '/'), out var normalised) && normalised.Length > 0
            ? normalised
            : listedPath;
        _files.Add(file);
    }

    /// <summary>
    /// A dataset of every file under <paramref name="directory"/> (recursively; sub-folders become sub-paths). A
    /// <c>.octue</c> file in the folder supplies the id, name, tags, labels and the datafiles' metadata.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="OctueFormatException">Its <c>.octue</c> file is malformed.</exception>
    public static Dataset FromLocalDirectory(string directory, string? name = null)
    {
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"No such folder: {root}");

        var metadataPath = Path.Combine(root, DatasetMetadata.OctueFileName);
        DatasetMetadata? metadata = null;
        JsonObject? datafileMetadata = null;
        if (File.Exists(metadataPath))
        {
            var text = File.ReadAllText(metadataPath);
            metadata = DatasetMetadata.Parse(text, metadataPath);
            datafileMetadata = JsonNode.Parse(text)?[LocalDatafilesKey] as JsonObject;
        }

        var dataset = new Dataset(name ?? metadata?.Name ?? Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar)))
        {
            LocalPath = root,
        };
        if (metadata is not null)
        {
            dataset.Id = metadata.Id ?? dataset.Id;
            dataset.Tags = metadata.Tags;
            dataset.Labels = metadata.Labels;
        }

        var paths = Directory.GetFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 });
        Array.Sort(paths, StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var relative = Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
            if (IsExcludedName(relative) || relative == DatasetMetadata.OctueFileName || IsPartialDownload(relative))
                continue;
            var file = new Datafile(path);
            if (datafileMetadata?[relative] is JsonObject stored)
                ApplyLocalMetadata(file, stored);
            dataset.Add(file, relative);
        }
        return dataset;
    }

    private static bool IsPartialDownload(string relative) => Path.GetFileName(relative).Contains(".partial-", StringComparison.Ordinal)
        && Path.GetFileName(relative).StartsWith('.');

    private static void ApplyLocalMetadata(Datafile file, JsonObject stored)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in stored)
            if (value is JsonValue text && text.GetValueKind() == JsonValueKind.String)
                map[key] = text.GetValue<string>();
        var metadata = DatafileMetadata.FromObjectMetadata(map);
        file.Id = metadata.Id ?? file.Id;
        file.Timestamp = metadata.Timestamp;
        file.Tags = metadata.Tags;
        file.Labels = metadata.Labels;
        file.OtherMetadata = metadata.Other;
    }

    /// <summary>
    /// Uploads the dataset into <c>gs://<paramref name="bucketName"/>/<paramref name="outputDirectory"/>/<see cref="Name"/>/…</c>
    /// (sub-folders kept), writes its <c>.octue</c>, and returns the dataset's URI
    /// <c>gs://bucket/outputDirectory/name</c>. Files are transferred in parallel (<see cref="TransferOptions.Parallelism"/>),
    /// each verified.
    /// </summary>
    /// <param name="projectName">The Google Cloud project (kept for the SDK's signature; object operations do not need it).</param>
    /// <param name="bucketName">The bucket.</param>
    /// <param name="outputDirectory">The folder the dataset's own folder goes in ("" for the bucket's root).</param>
    /// <param name="options">Store and transfer options; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    /// <exception cref="OctueFormatException">An invalid name, tag, label or datafile metadata (checked before anything is written).</exception>
    /// <exception cref="CorruptionException">A stored file does not match its local bytes.</exception>
    public Task<string> ToCloudAsync(string? projectName, string bucketName, string outputDirectory,
        TransferOptions? options = null, CancellationToken cancellationToken = default)
    {
        ValidateName(Name);
        return ToCloudAsync(Datafile.CloudPathOf(bucketName, outputDirectory).Join(Name), options, cancellationToken);
    }

    /// <summary>Uploads the dataset to exactly <paramref name="cloudUri"/> (the dataset's own folder, <c>gs://bucket/path/to/dataset</c>).</summary>
    public Task<string> ToCloudAsync(string cloudUri, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        ToCloudAsync(Octue.CloudPath.Parse(cloudUri), options, cancellationToken);

    internal async Task<string> ToCloudAsync(CloudPath location, TransferOptions? options, CancellationToken cancellationToken)
    {
        options ??= TransferOptions.Default;
        var metadata = new DatasetMetadata { Id = Id ?? Datafile.NewId(), Name = Name, Tags = Tags, Labels = Labels, Path = location.ToString() };
        var octueJson = ValidateForUpload(metadata);

        await TransferRunner.RunAsync(_files, file => file.CloudObject?.Size ?? LocalSize(file),
            async (file, ct) => (await file.UploadAsync(location.Join(file.PathInDataset!), options, ct).ConfigureAwait(false)).Skipped,
            options, cancellationToken).ConfigureAwait(false);

        await FileTransfer.UploadBytesAsync(options.ResolveStore(), location.Join(DatasetMetadata.OctueFileName),
            Encoding.UTF8.GetBytes(octueJson), "application/json", cancellationToken).ConfigureAwait(false);
        Id = metadata.Id;
        CloudPath = location;
        HasExplicitFileList = false;
        return location.ToString();
    }

    /// <summary>Checks everything that can be refused before the first byte is written; returns the <c>.octue</c> content.</summary>
    internal string ValidateForUpload(DatasetMetadata? metadata = null)
    {
        ValidateName(Name);
        var octueJson = (metadata ?? new DatasetMetadata { Id = Id, Name = Name, Tags = Tags, Labels = Labels }).ToOctueJson();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in _files)
        {
            file.Metadata.ToMergedObjectMetadata();
            NormaliseRelativePath(file.PathInDataset!);
            if (!seen.Add(file.PathInDataset!))
                throw new OctueFormatException($"dataset file path '{file.PathInDataset}'", "two datafiles of a dataset cannot have the same path");
            if (IsExcludedName(file.PathInDataset!))
                throw new OctueFormatException($"dataset file path '{file.PathInDataset}'",
                    "names ending in '.octue', holding '.signed_metadata_files' or ending in '/' are reserved and would not be listed as datafiles");
            if (file.LocalPath is null && file.CloudObject is null)
                throw new OctueFormatException($"dataset file '{file.PathInDataset}'", "the datafile has neither a local file nor a cloud object");
            if (file.LocalPath is not null && file.CloudObject is null && !File.Exists(file.LocalPath))
                throw new FileNotFoundException($"The datafile's local file does not exist: {file.LocalPath}", file.LocalPath);
        }
        return octueJson;
    }

    private static long LocalSize(Datafile file) =>
        file.LocalPath is { } path && File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>
    /// Reads a dataset from <c>gs://<paramref name="bucketName"/>/<paramref name="pathToDatasetDirectory"/></c>: its
    /// metadata (<c>.octue</c>, else <c>dataset_metadata.json</c>, else <c>dataset.json</c>, else none: a plain dataset
    /// named after its folder) and its datafiles' metadata (no bytes are downloaded).
    /// </summary>
    /// <exception cref="ObjectNotFoundException">Nothing is stored there.</exception>
    /// <exception cref="OctueFormatException">Its metadata file is malformed.</exception>
    public static Task<Dataset> FromCloudAsync(string? projectName, string bucketName, string pathToDatasetDirectory,
        TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        FromCloudAsync(Datafile.CloudPathOf(bucketName, pathToDatasetDirectory), options, cancellationToken);

    /// <summary>Reads a dataset from a <c>gs://bucket/path</c> URI; see <see cref="FromCloudAsync(string?, string, string, TransferOptions?, CancellationToken)"/>.</summary>
    public static Task<Dataset> FromCloudAsync(string cloudUri, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        FromCloudAsync(Octue.CloudPath.Parse(cloudUri), options, cancellationToken);

    internal static async Task<Dataset> FromCloudAsync(CloudPath location, TransferOptions? options, CancellationToken cancellationToken)
    {
        options ??= TransferOptions.Default;
        var store = options.ResolveStore();
        var prefix = location.Path.Length == 0 ? "" : location.Path + "/";
        var listing = await ObjectStoreListing.ListAllAsync(store, location.Bucket, prefix, cancellationToken).ConfigureAwait(false);

        DatasetMetadata? metadata = null;
        foreach (var fileName in DatasetMetadata.FileNames)
        {
            var match = listing.Find(o => o.Name == prefix + fileName);
            if (match is null) continue;
            var text = await ObjectStoreListing.ReadTextAsync(store, match, cancellationToken).ConfigureAwait(false);
            metadata = DatasetMetadata.Parse(text, $"gs://{match.Bucket}/{match.Name}");
            break;
        }

        if (metadata is null && listing.Count == 0)
            throw new ObjectNotFoundException($"No dataset at {location}: nothing is stored under it.");

        var dataset = new Dataset(metadata?.Name ?? location.Name) { Id = metadata?.Id, CloudPath = location };
        if (metadata is not null)
        {
            dataset.Tags = metadata.Tags;
            dataset.Labels = metadata.Labels;
        }

        if (metadata?.Files is { } files)
        {
            var resolved = await StatFilesAsync(store, files, options, cancellationToken).ConfigureAwait(false);
            foreach (var info in resolved)
                dataset.AddListed(Datafile.FromObject(info), RelativePath(location, info));
            dataset.HasExplicitFileList = true;
            return dataset;
        }

        listing.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (var info in listing)
        {
            if (IsExcludedName(info.Name)) continue;
            var relative = info.Name[prefix.Length..];
            if (DatasetMetadata.IsMetadataFileName(relative)) continue;
            dataset.AddListed(Datafile.FromObject(info), relative);
        }
        return dataset;
    }

    /// <summary>A dataset made of exactly <paramref name="files"/> (gs:// URIs, any bucket), as a manifest may name it.</summary>
    internal static async Task<Dataset> FromFileListAsync(string name, IReadOnlyList<string> files, CloudPath? location,
        TransferOptions options, CancellationToken cancellationToken)
    {
        var store = options.ResolveStore();
        var resolved = await StatFilesAsync(store, files, options, cancellationToken).ConfigureAwait(false);
        var dataset = new Dataset(name) { CloudPath = location, HasExplicitFileList = true };
        foreach (var info in resolved)
            dataset.AddListed(Datafile.FromObject(info), RelativePath(location, info));
        return dataset;
    }

    private static async Task<ObjectInfo[]> StatFilesAsync(IObjectStore store, IReadOnlyList<string> files, TransferOptions options,
        CancellationToken cancellationToken)
    {
        var results = new ObjectInfo[files.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Count),
            new ParallelOptions { MaxDegreeOfParallelism = options.ResolveParallelism(), CancellationToken = cancellationToken },
            async (index, ct) =>
            {
                var path = Octue.CloudPath.Parse(files[index]);
                results[index] = await store.StatAsync(path.Bucket, path.Path, ct).ConfigureAwait(false)
                    ?? throw new ObjectNotFoundException($"The dataset names {files[index]}, which does not exist.");
            }).ConfigureAwait(false);
        return results;
    }

    private static string RelativePath(CloudPath? location, ObjectInfo info) => PathInDataset(location, info.Bucket, info.Name);

    /// <summary>
    /// Where a listed file of a dataset at <paramref name="location"/> goes, in a download and in a mount alike: a
    /// file under the dataset's folder keeps its sub-path; a file elsewhere (another bucket or prefix, or any file of
    /// a dataset with no cloud path) is placed under <c>BUCKET/OBJECT</c>.
    /// </summary>
    internal static string PathInDataset(CloudPath? location, string bucket, string objectName)
    {
        if (location is { } root && bucket == root.Bucket)
        {
            var prefix = root.Path.Length == 0 ? "" : root.Path + "/";
            if (objectName.StartsWith(prefix, StringComparison.Ordinal) && objectName.Length > prefix.Length)
                return objectName[prefix.Length..];
        }
        return bucket + "/" + objectName;
    }

    /// <summary>
    /// Downloads every datafile into <paramref name="localDirectory"/> at its path in the dataset (in parallel, each
    /// verified; a corrupt download is deleted and fails the call), and writes the local <c>.octue</c>.
    /// </summary>
    /// <returns>The full local folder.</returns>
    public async Task<string> DownloadAsync(string localDirectory, TransferOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= TransferOptions.Default;
        var root = Path.GetFullPath(localDirectory);
        var layout = new DownloadLayout(root);
        PlanDownload(layout, "");
        layout.ThrowIfInvalid();
        Directory.CreateDirectory(root);
        await TransferRunner.RunAsync(_files, file => file.CloudObject?.Size ?? 0,
            (file, ct) => file.CloudObject is null
                ? throw new InvalidOperationException($"The datafile {file} is not in the cloud; there is nothing to download.")
                : file.DownloadCoreAsync(LocalFilePath(root, file.PathInDataset!), options, ct),
            options, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(root, DatasetMetadata.OctueFileName), ToLocalMetadataJson(), cancellationToken).ConfigureAwait(false);
        LocalPath = root;
        return root;
    }

    /// <summary>Adds the files a download of this dataset writes under <paramref name="folder"/> ("" or ending in '/').</summary>
    internal void PlanDownload(DownloadLayout layout, string folder)
    {
        foreach (var file in _files)
            layout.AddFile(folder + (file.ListedPath ?? file.PathInDataset!),
                file.CloudObject is { } stored ? $"gs://{stored.Bucket}/{stored.Name}" : $"datafile '{file.PathInDataset}'");
        layout.AddFile(folder + DatasetMetadata.OctueFileName, $"the dataset's own {DatasetMetadata.OctueFileName} file");
    }

    private string ToLocalMetadataJson()
    {
        var metadata = new DatasetMetadata { Id = Id, Name = Name, Tags = Tags, Labels = Labels, Path = CloudPath?.ToString() };
        var root = new JsonObject { ["dataset"] = metadata.ToJsonObject() };
        var datafiles = new JsonObject();
        foreach (var file in _files)
        {
            var stored = new JsonObject();
            foreach (var (key, value) in StoredMetadataOf(file))
                stored[key] = value;
            datafiles[file.PathInDataset!] = stored;
        }
        root[LocalDatafilesKey] = datafiles;
        return PythonJson.Serialize(root);
    }

    // The current values in the new format; a datafile read from an old object whose names cannot be written in the
    // new format keeps its metadata exactly as it was read.
    private static IReadOnlyDictionary<string, string> StoredMetadataOf(Datafile file)
    {
        try
        {
            return file.Metadata.ToMergedObjectMetadata();
        }
        catch (OctueFormatException)
        {
            return file.CloudObject?.Metadata ?? ObjectInfo.EmptyMetadata;
        }
    }

    internal static string LocalFilePath(string root, string pathInDataset)
    {
        var relative = NormaliseRelativePath(pathInDataset);
        var full = Path.GetFullPath(Path.Combine(root, relative.Replace('/', Path.DirectorySeparatorChar)));
        if (!full.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new OctueFormatException($"dataset file path '{pathInDataset}'", "the path must stay inside the dataset's folder");
        return full;
    }

    internal static string NormaliseRelativePath(string path)
    {
        var normalised = Octue.CloudPath.Normalise(path.Replace('\\', '/'));
        if (normalised.Length == 0)
            throw new OctueFormatException($"dataset file path '{path}'", "a datafile needs a non-empty path inside the dataset");
        return normalised;
    }

    /// <summary>True for names that are never datafiles of a dataset: <c>*.octue</c>, <c>*.signed_metadata_files*</c>, folder placeholders.</summary>
    public static bool IsExcludedName(string objectName) =>
        objectName.EndsWith(".octue", StringComparison.Ordinal)
        || objectName.Contains(".signed_metadata_files", StringComparison.Ordinal)
        || objectName.EndsWith('/');

    private static void ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains('/') || name is "." or "..")
            throw new OctueFormatException($"dataset name '{name}'", "a dataset name must be non-empty and cannot contain '/' or be '.' or '..'");
    }

    /// <inheritdoc />
    public override string ToString() => CloudPath?.ToString() ?? LocalPath ?? Name;
}
