namespace Octue.Mount.Emulator;

/// <summary>The writable metadata of an object (what uploads, PATCH and PUT set).</summary>
internal sealed record ObjectAttributes
{
    public const string DefaultContentType = "application/octet-stream";

    /// <summary>GCS caps the custom metadata of an object (keys and values, UTF-8) at 8 KiB.</summary>
    public const int MaxCustomMetadataBytes = 8 * 1024;

    public static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>();

    public string ContentType { get; init; } = DefaultContentType;

    public string? ContentEncoding { get; init; }

    public string? ContentDisposition { get; init; }

    public string? ContentLanguage { get; init; }

    public string? CacheControl { get; init; }

    public IReadOnlyDictionary<string, string> Metadata { get; init; } = NoMetadata;

    public static int MetadataSize(IReadOnlyDictionary<string, string> metadata)
    {
        var total = 0;
        foreach (var (key, value) in metadata)
            total += System.Text.Encoding.UTF8.GetByteCount(key) + System.Text.Encoding.UTF8.GetByteCount(value);
        return total;
    }
}
