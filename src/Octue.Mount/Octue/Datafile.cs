using Octue.Mount.Integrity;
using Octue.Mount.Storage;

namespace Octue.Mount.Octue;

/// <summary>
/// One file with Octue metadata (id, timestamp, tags, labels), local or in Cloud Storage — the .NET form of the Octue
/// SDK's <c>Datafile</c>. In the cloud a datafile is one object whose custom metadata carries the Octue fields
/// (<see cref="DatafileMetadata"/>); its hash is the object's CRC32C.
/// </summary>
/// <remarks>
/// Uploads send the bytes and the metadata in one request rather than the SDK's upload-then-PATCH: the object never
/// exists without its Octue metadata, and the single request is verified as a whole. Custom metadata that is not
/// Octue's and that this datafile carries (<see cref="OtherMetadata"/>, filled by <see cref="FromCloudAsync(string, TransferOptions?, CancellationToken)"/>)
/// is written with it, so keys set by other tools survive a round trip. <see cref="UpdateCloudMetadataAsync"/>
/// changes metadata alone with a PATCH, which merges and so keeps every other key of the object.
/// </remarks>
public sealed class Datafile
{
    /// <summary>A datafile for a local file (which need not exist until it is uploaded), with a new random id.</summary>
    public Datafile(string localPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(localPath);
        LocalPath = Path.GetFullPath(localPath);
        Id = NewId();
    }

    private Datafile(CloudPath cloudPath, ObjectInfo info)
    {
        CloudPath = cloudPath;
        ApplyCloudObject(info);
    }

    /// <summary>The datafile's id (a lower-case hyphenated UUID when created here; as stored when read, possibly null).</summary>
    public string? Id { get; set; }

    /// <summary>The timestamp (UTC, microsecond precision), if any.</summary>
    public DateTimeOffset? Timestamp { get; set; }

    /// <summary>The tags.</summary>
    public TagDict Tags { get; set; } = new();

    /// <summary>The labels.</summary>
    public LabelSet Labels { get; set; } = new();

    /// <summary>Custom metadata of the cloud object that is not Octue's, kept and written back as it is.</summary>
    public IReadOnlyDictionary<string, string> OtherMetadata { get; set; } = ObjectInfo.EmptyMetadata;

    /// <summary>The SDK version recorded on the cloud object, if any.</summary>
    public string? SdkVersion { get; private set; }

    /// <summary>The local copy, if there is one.</summary>
    public string? LocalPath { get; private set; }

    /// <summary>Where the datafile lives in Cloud Storage, if it does.</summary>
    public CloudPath? CloudPath { get; private set; }

    /// <summary>The cloud object as last seen (size, generation, hashes), if any.</summary>
    public ObjectInfo? CloudObject { get; private set; }

    /// <summary>The file name (last segment of the cloud path, else of the local path).</summary>
    public string Name => CloudPath is { } cloud ? cloud.Name : Path.GetFileName(LocalPath!);

    /// <summary>The datafile's hash: the cloud object's CRC32C (as GCS reports it, base64 of the big-endian value).</summary>
    public string? HashValue => CloudObject?.Crc32c is { } crc ? GcsHash.ToBase64(crc) : null;

    /// <summary>The path of this file inside its dataset (set by <see cref="Dataset"/>; "sub/file.txt").</summary>
    public string? PathInDataset { get; internal set; }

    /// <summary>The path below the dataset's folder as the bucket stores it (before normalisation), for a datafile listed from the cloud.</summary>
    internal string? ListedPath { get; set; }

    /// <summary>The Octue metadata as a <see cref="DatafileMetadata"/>.</summary>
    public DatafileMetadata Metadata => new()
    {
        Id = Id,
        Timestamp = Timestamp,
        Tags = Tags,
        Labels = Labels,
        SdkVersion = SdkVersion,
        Other = OtherMetadata,
    };

    /// <summary>A new lower-case hyphenated UUID, the form the Octue SDK uses for ids.</summary>
    public static string NewId() => Guid.NewGuid().ToString("D");

    /// <summary>
    /// Uploads the local file to <c>gs://<paramref name="bucketName"/>/<paramref name="pathInBucket"/></c> with its
    /// Octue metadata, verified (CRC32C and MD5), and returns that URI.
    /// </summary>
    /// <param name="projectName">The Google Cloud project (kept for the SDK's signature; object operations do not need it).</param>
    /// <param name="bucketName">The bucket.</param>
    /// <param name="pathInBucket">The object name.</param>
    /// <param name="options">Store and transfer options; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    /// <exception cref="OctueFormatException">Invalid tags or labels, or metadata over 8 KiB (nothing is written).</exception>
    /// <exception cref="CorruptionException">The stored bytes do not match the local ones.</exception>
    public Task<string> ToCloudAsync(string? projectName, string bucketName, string pathInBucket,
        TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        ToCloudAsync(CloudPathOf(bucketName, pathInBucket), options, cancellationToken);

    /// <summary>Uploads the datafile to a <c>gs://bucket/path</c> URI; see <see cref="ToCloudAsync(string?, string, string, TransferOptions?, CancellationToken)"/>.</summary>
    public Task<string> ToCloudAsync(string cloudUri, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        ToCloudAsync(Octue.CloudPath.Parse(cloudUri), options, cancellationToken);

    internal async Task<string> ToCloudAsync(CloudPath destination, TransferOptions? options, CancellationToken cancellationToken)
    {
        var result = await UploadAsync(destination, options ?? TransferOptions.Default, cancellationToken).ConfigureAwait(false);
        return result.Uri;
    }

    internal async Task<(string Uri, bool Skipped)> UploadAsync(CloudPath destination, TransferOptions options, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(destination.Path))
            throw new OctueFormatException($"datafile path '{destination}'", "a datafile needs an object name, not just a bucket");
        Id ??= NewId();
        // Validate (names, labels, 8 KiB) before any byte moves.
        var metadata = Metadata.ToMergedObjectMetadata();
        var store = options.ResolveStore();
        ObjectInfo stored;
        var skipped = false;
        if (LocalPath is not null && File.Exists(LocalPath))
        {
            (stored, skipped) = await FileTransfer.UploadFileAsync(store, LocalPath, destination, metadata, options.SkipUnchanged, cancellationToken)
                .ConfigureAwait(false);
        }
        else if (CloudObject is not null)
        {
            if (CloudPath is { } source && source == destination)
                stored = await FileTransfer.PatchAsync(store, destination, metadata, cancellationToken).ConfigureAwait(false);
            else
                stored = await FileTransfer.CopyAsync(store, CloudObject, destination, metadata, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            throw new FileNotFoundException($"The datafile's local file does not exist: {LocalPath}", LocalPath);
        }
        CloudPath = destination;
        CloudObject = stored;
        return (destination.ToString(), skipped);
    }

    /// <summary>Writes the Octue metadata to the cloud object with a PATCH (other keys of the object are kept).</summary>
    /// <exception cref="InvalidOperationException">The datafile is not in the cloud.</exception>
    public async Task UpdateCloudMetadataAsync(TransferOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (CloudPath is not { } location)
            throw new InvalidOperationException("The datafile has no cloud location; upload it first with ToCloudAsync.");
        var metadata = Metadata.ToObjectMetadata();
        var store = (options ?? TransferOptions.Default).ResolveStore();
        CloudObject = await FileTransfer.PatchAsync(store, location, metadata, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a datafile's metadata from <c>gs://<paramref name="bucketName"/>/<paramref name="datafilePath"/></c> (no bytes are downloaded).</summary>
    /// <exception cref="ObjectNotFoundException">There is no such object.</exception>
    public static Task<Datafile> FromCloudAsync(string? projectName, string bucketName, string datafilePath,
        TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        FromCloudAsync(CloudPathOf(bucketName, datafilePath), options, cancellationToken);

    /// <summary>Reads a datafile's metadata from a <c>gs://bucket/path</c> URI (or path-style URL).</summary>
    public static Task<Datafile> FromCloudAsync(string cloudUri, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        FromCloudAsync(Octue.CloudPath.Parse(cloudUri), options, cancellationToken);

    internal static async Task<Datafile> FromCloudAsync(CloudPath location, TransferOptions? options, CancellationToken cancellationToken)
    {
        var store = (options ?? TransferOptions.Default).ResolveStore();
        var info = await store.StatAsync(location.Bucket, location.Path, cancellationToken).ConfigureAwait(false)
            ?? throw new ObjectNotFoundException($"No datafile at {location}.");
        return FromObject(info);
    }

    /// <summary>A datafile for an object already listed or stat-ed.</summary>
    public static Datafile FromObject(ObjectInfo info) =>
        new(new CloudPath(info.Bucket, info.Name), info);

    private void ApplyCloudObject(ObjectInfo info)
    {
        CloudObject = info;
        var metadata = DatafileMetadata.FromObjectMetadata(info.Metadata);
        Id = metadata.Id;
        Timestamp = metadata.Timestamp;
        Tags = metadata.Tags;
        Labels = metadata.Labels;
        SdkVersion = metadata.SdkVersion;
        OtherMetadata = metadata.Other;
    }

    /// <summary>
    /// Downloads the cloud object to <paramref name="localPath"/>, verified against its CRC32C (MD5 when it has none).
    /// On a mismatch the partial file is deleted and <see cref="CorruptionException"/> thrown; an existing file at
    /// <paramref name="localPath"/> is only replaced once the new bytes are verified.
    /// </summary>
    /// <returns>The full local path.</returns>
    public async Task<string> DownloadAsync(string localPath, TransferOptions? options = null, CancellationToken cancellationToken = default)
    {
        await DownloadCoreAsync(localPath, options ?? TransferOptions.Default, cancellationToken).ConfigureAwait(false);
        return LocalPath!;
    }

    internal async Task<bool> DownloadCoreAsync(string localPath, TransferOptions options, CancellationToken cancellationToken)
    {
        if (CloudObject is null)
            throw new InvalidOperationException("The datafile is not in the cloud; there is nothing to download.");
        var fullPath = Path.GetFullPath(localPath);
        var skipped = await FileTransfer.DownloadAsync(options.ResolveStore(), CloudObject, fullPath, options.SkipUnchanged, cancellationToken)
            .ConfigureAwait(false);
        LocalPath = fullPath;
        return skipped;
    }

    internal void SetLocalPath(string localPath) => LocalPath = Path.GetFullPath(localPath);

    internal static CloudPath CloudPathOf(string bucketName, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(bucketName);
        ArgumentNullException.ThrowIfNull(path);
        return Octue.CloudPath.Create(bucketName, path);
    }

    /// <inheritdoc />
    public override string ToString() => CloudPath?.ToString() ?? LocalPath ?? Name;
}
