namespace Octue.Mount.Emulator;

/// <summary>
/// One object as the emulator holds it. Instances never change: a write or a metadata change replaces the instance,
/// so a download that started keeps a consistent view of bytes and hashes.
/// </summary>
public sealed record StoredObject
{
    public required string Bucket { get; init; }

    public required string Name { get; init; }

    /// <summary>The bytes as one array (joined once when the object is held in pieces: <see cref="Bytes"/>).</summary>
    public byte[] Data
    {
        get => Bytes.ToArray();
        init => Bytes = ObjectBytes.Of(value);
    }

    /// <summary>The bytes as stored: one array, or the pieces a resumable upload arrived in.</summary>
    internal ObjectBytes Bytes { get; init; } = ObjectBytes.Empty;

    public long Size => Bytes.Length;

    public required long Generation { get; init; }

    public long Metageneration { get; init; } = 1;

    /// <summary>CRC32C (Castagnoli) of <see cref="Data"/>.</summary>
    public required uint Crc32c { get; init; }

    /// <summary>MD5 of <see cref="Data"/>; null for composed objects, as in GCS.</summary>
    public byte[]? Md5 { get; init; }

    public IReadOnlyDictionary<string, string> Metadata { get; init; } = ObjectAttributes.NoMetadata;

    public string ContentType { get; init; } = ObjectAttributes.DefaultContentType;

    public string? ContentEncoding { get; init; }

    public string? ContentDisposition { get; init; }

    public string? ContentLanguage { get; init; }

    public string? CacheControl { get; init; }

    public string StorageClass { get; init; } = "STANDARD";

    /// <summary>Set on objects made by compose.</summary>
    public int? ComponentCount { get; init; }

    public DateTimeOffset TimeCreated { get; init; }

    public DateTimeOffset Updated { get; init; }

    internal ObjectAttributes Attributes => new()
    {
        ContentType = ContentType,
        ContentEncoding = ContentEncoding,
        ContentDisposition = ContentDisposition,
        ContentLanguage = ContentLanguage,
        CacheControl = CacheControl,
        Metadata = Metadata,
    };

    internal StoredObject WithAttributes(ObjectAttributes attributes, DateTimeOffset now) => this with
    {
        ContentType = attributes.ContentType,
        ContentEncoding = attributes.ContentEncoding,
        ContentDisposition = attributes.ContentDisposition,
        ContentLanguage = attributes.ContentLanguage,
        CacheControl = attributes.CacheControl,
        Metadata = attributes.Metadata,
        Metageneration = Metageneration + 1,
        Updated = now,
    };
}
