namespace Octue.Mount.Storage;

/// <summary>
/// The only door to Google Cloud Storage. Everything above (Octue containers, caching, the VFS) talks to GCS
/// through this interface; GcsObjectStore implements it on Google.Cloud.Storage.V1.
/// Failures surface as <see cref="ObjectStoreException"/> subclasses; "not found" on <see cref="StatAsync"/> is a
/// <c>null</c> result, not an exception, because misses are common on the hot path.
/// </summary>
public interface IObjectStore
{
    /// <summary>Lists one page of objects (and, with a delimiter, prefixes) in a bucket.</summary>
    Task<ObjectListing> ListAsync(string bucket, ListRequest request, CancellationToken cancellationToken = default);

    /// <summary>Returns the object's metadata, or <c>null</c> when it does not exist.</summary>
    Task<ObjectInfo?> StatAsync(string bucket, string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens a stream over <paramref name="length"/> bytes (to the end when null) from <paramref name="offset"/>.
    /// With <paramref name="generation"/> the read is pinned to that generation (a changed object gives
    /// <see cref="PreconditionFailedException"/> or <see cref="ObjectNotFoundException"/>). Transient failures are
    /// retried and the stream resumes from the last byte received. A read of the whole object is verified against
    /// its CRC32C (MD5 when there is none) before the stream reports its end; a mismatch throws
    /// <see cref="CorruptionException"/>.
    /// </summary>
    Task<Stream> OpenReadAsync(string bucket, string name, long offset = 0, long? length = null, long? generation = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Uploads <paramref name="content"/> (read from its current position to its end). The CRC32C and MD5 are
    /// computed locally (unless given in <paramref name="options"/>), sent so the server refuses corrupt bytes,
    /// and compared with the stored object's hashes afterwards.
    /// </summary>
    Task<ObjectInfo> UploadAsync(string bucket, string name, Stream content, UploadOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>Merges custom metadata (a null value removes a key) and optionally sets the content type.</summary>
    Task<ObjectInfo> PatchMetadataAsync(string bucket, string name, MetadataPatch patch,
        long? ifMetagenerationMatch = null, CancellationToken cancellationToken = default);

    /// <summary>Server-side copy. <paramref name="ifGenerationMatch"/> applies to the destination (0 = must not exist).</summary>
    Task<ObjectInfo> CopyAsync(string sourceBucket, string sourceName, string destinationBucket, string destinationName,
        long? ifSourceGenerationMatch = null, long? ifGenerationMatch = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes an object; with <paramref name="ifGenerationMatch"/> only that generation.</summary>
    Task DeleteAsync(string bucket, string name, long? ifGenerationMatch = null, CancellationToken cancellationToken = default);

    /// <summary>Lists the names of the buckets of a project.</summary>
    Task<IReadOnlyList<string>> ListBucketsAsync(string project, CancellationToken cancellationToken = default);

    /// <summary>True when the bucket exists and can be read.</summary>
    Task<bool> BucketExistsAsync(string bucket, CancellationToken cancellationToken = default);

    /// <summary>Creates a bucket (used by the demo and tests; a bucket that exists already is not an error).</summary>
    Task CreateBucketAsync(string project, string bucket, CancellationToken cancellationToken = default);
}

/// <summary>One object's metadata as GCS reports it.</summary>
public sealed record ObjectInfo
{
    public required string Bucket { get; init; }
    public required string Name { get; init; }
    public long Size { get; init; }
    public long Generation { get; init; }
    public long Metageneration { get; init; }
    /// <summary>CRC32C as an unsigned integer (GCS reports it as base64 of the big-endian bytes).</summary>
    public uint? Crc32c { get; init; }
    public byte[]? Md5 { get; init; }
    public string? ContentType { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = EmptyMetadata;
    public DateTimeOffset Updated { get; init; }
    public DateTimeOffset Created { get; init; }
    public string? StorageClass { get; init; }
    public string? ETag { get; init; }

    public static readonly IReadOnlyDictionary<string, string> EmptyMetadata = new Dictionary<string, string>();
}

/// <summary>A listing request: one page.</summary>
public sealed record ListRequest
{
    public string? Prefix { get; init; }
    public string? Delimiter { get; init; }
    public int? PageSize { get; init; }
    public string? PageToken { get; init; }
    public bool IncludeTrailingDelimiter { get; init; }
    public string? StartOffset { get; init; }
    public string? EndOffset { get; init; }
}

/// <summary>One page of a listing.</summary>
public sealed record ObjectListing(IReadOnlyList<ObjectInfo> Objects, IReadOnlyList<string> Prefixes, string? NextPageToken);

/// <summary>Options of an upload.</summary>
public sealed record UploadOptions
{
    public string? ContentType { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    /// <summary>0 = the object must not exist; n = the live generation must be n.</summary>
    public long? IfGenerationMatch { get; init; }
    /// <summary>n = the live object's metageneration must be n (no metadata change since it was read); checked with the upload's last byte.</summary>
    public long? IfMetagenerationMatch { get; init; }
    /// <summary>Known CRC32C of the content; computed when null.</summary>
    public uint? Crc32c { get; init; }
    /// <summary>Known MD5 of the content; computed when null.</summary>
    public byte[]? Md5 { get; init; }
    /// <summary>Chunk size of resumable uploads (a multiple of 256 KiB); null = the store's default.</summary>
    public int? ChunkSize { get; init; }
}

/// <summary>A metadata patch: keys mapped to null are removed.</summary>
public sealed record MetadataPatch
{
    public IReadOnlyDictionary<string, string?> Metadata { get; init; } = new Dictionary<string, string?>();
    public string? ContentType { get; init; }
}
