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

    /// <summary>
    /// Opens a resumable upload for content still being written (its length unknown): bytes are sent as they become
    /// available, and the object is created only by <see cref="IStreamingUpload.FinishAsync"/>, with the metadata,
    /// content type and preconditions of <paramref name="options"/> (the preconditions are checked then).
    /// <paramref name="source"/> reads the content's bytes when they are sent.
    /// </summary>
    Task<IStreamingUpload> StartStreamingUploadAsync(string bucket, string name, UploadOptions options, StreamingUploadSource source,
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
    /// <summary>The bucket holding the object.</summary>
    public required string Bucket { get; init; }

    /// <summary>The object's full name in its bucket (<c>folder/file.txt</c>; "folders" are only name prefixes).</summary>
    public required string Name { get; init; }

    /// <summary>The object's size in bytes, as stored (compressed, for an object saved with <c>Content-Encoding: gzip</c>).</summary>
    public long Size { get; init; }

    /// <summary>The generation: changes whenever the object's bytes are replaced; the value upload and delete preconditions compare.</summary>
    public long Generation { get; init; }

    /// <summary>The metageneration: changes whenever the metadata of this generation changes; the value metadata-patch preconditions compare.</summary>
    public long Metageneration { get; init; }

    /// <summary>CRC32C as an unsigned integer (GCS reports it as base64 of the big-endian bytes).</summary>
    public uint? Crc32c { get; init; }

    /// <summary>The 16-byte MD5 of the stored bytes; null where GCS keeps none (composite objects).</summary>
    public byte[]? Md5 { get; init; }

    /// <summary>The content type, if one was set.</summary>
    public string? ContentType { get; init; }

    /// <summary>The custom metadata (user key to value); empty when there is none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = EmptyMetadata;

    /// <summary>When the object or its metadata last changed.</summary>
    public DateTimeOffset Updated { get; init; }

    /// <summary>When this generation was created.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>The storage class (<c>STANDARD</c>, <c>NEARLINE</c>, …), when reported.</summary>
    public string? StorageClass { get; init; }

    /// <summary>The HTTP entity tag GCS reports for the object, when reported.</summary>
    public string? ETag { get; init; }

    /// <summary>The shared, empty metadata of objects that have none.</summary>
    public static readonly IReadOnlyDictionary<string, string> EmptyMetadata = new Dictionary<string, string>();
}

/// <summary>A listing request: one page.</summary>
public sealed record ListRequest
{
    /// <summary>The most objects and prefixes GCS returns in one page.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>Only names starting with this text; null for the whole bucket.</summary>
    public string? Prefix { get; init; }

    /// <summary>
    /// Usually <c>/</c>: names with the delimiter after the prefix are not listed, their common prefix up to and
    /// including the delimiter is returned once in <see cref="ObjectListing.Prefixes"/> instead (one directory level).
    /// Null lists recursively.
    /// </summary>
    public string? Delimiter { get; init; }

    /// <summary>At most this many objects and prefixes in the page (GCS caps a page at 1,000); null for the server's default.</summary>
    public int? PageSize { get; init; }

    /// <summary>The <see cref="ObjectListing.NextPageToken"/> of the previous page; null for the first page.</summary>
    public string? PageToken { get; init; }

    /// <summary>With a delimiter, also lists objects whose names end with it (such as <c>dir/</c> folder placeholders) as objects.</summary>
    public bool IncludeTrailingDelimiter { get; init; }

    /// <summary>Only names at or after this one (in byte order); null for no lower bound.</summary>
    public string? StartOffset { get; init; }

    /// <summary>Only names before this one (in byte order); null for no upper bound.</summary>
    public string? EndOffset { get; init; }
}

/// <summary>One page of a listing.</summary>
/// <param name="Objects">The objects of the page, in name order.</param>
/// <param name="Prefixes">With a delimiter, the common prefixes ("sub-directories") of the page, each ending with the delimiter.</param>
/// <param name="NextPageToken">The token that asks for the next page (<see cref="ListRequest.PageToken"/>); null on the last page.</param>
public sealed record ObjectListing(IReadOnlyList<ObjectInfo> Objects, IReadOnlyList<string> Prefixes, string? NextPageToken);

/// <summary>Options of an upload.</summary>
public sealed record UploadOptions
{
    /// <summary>The content type to store; null for the store's default (<c>application/octet-stream</c>).</summary>
    public string? ContentType { get; init; }

    /// <summary>The custom metadata to store with the bytes (in the same request); null for none.</summary>
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
    /// <summary>Custom metadata keys to set; a key mapped to null is removed, keys not named are kept.</summary>
    public IReadOnlyDictionary<string, string?> Metadata { get; init; } = new Dictionary<string, string?>();

    /// <summary>The new content type; null leaves it as it is.</summary>
    public string? ContentType { get; init; }
}
