using System.Text.Json;

namespace Octue.Mount.Emulator;

/// <summary>
/// The object fields a request body sets. A field that is absent is left alone by PATCH; a field set to null is
/// cleared; a <c>metadata</c> key set to null is removed.
/// </summary>
internal sealed class ObjectResourceInput
{
    public static readonly ObjectResourceInput Empty = new();

    public string? Name { get; private init; }

    public Field ContentType { get; private init; }

    public Field ContentEncoding { get; private init; }

    public Field ContentDisposition { get; private init; }

    public Field ContentLanguage { get; private init; }

    public Field CacheControl { get; private init; }

    /// <summary>Present and null: remove every key. Present: per-key values, null removing the key.</summary>
    public bool HasMetadata { get; private init; }

    public Dictionary<string, string?>? Metadata { get; private init; }

    public ClientHashes Hashes { get; private init; }

    /// <summary>True when the body sets any writable attribute (a copy then takes them instead of the source's).</summary>
    public bool HasAnyAttribute => HasMetadata || ContentType.Present || ContentEncoding.Present
        || ContentDisposition.Present || ContentLanguage.Present || CacheControl.Present;

    public static ObjectResourceInput Parse(JsonDocument? document)
    {
        if (document is null)
            return Empty;
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw GcsException.BadRequest("The request body must be a JSON object.");
        Dictionary<string, string?>? metadata = null;
        var hasMetadata = root.TryGetProperty("metadata", out var metadataElement);
        if (hasMetadata && metadataElement.ValueKind == JsonValueKind.Object)
        {
            metadata = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var property in metadataElement.EnumerateObject())
                metadata[property.Name] = AsString(property.Value);
        }
        else if (hasMetadata && metadataElement.ValueKind != JsonValueKind.Null)
        {
            throw GcsException.BadRequest("'metadata' must be an object of strings.");
        }
        var crc = StringProperty(root, "crc32c");
        var md5 = StringProperty(root, "md5Hash");
        return new ObjectResourceInput
        {
            Name = StringProperty(root, "name"),
            ContentType = FieldOf(root, "contentType"),
            ContentEncoding = FieldOf(root, "contentEncoding"),
            ContentDisposition = FieldOf(root, "contentDisposition"),
            ContentLanguage = FieldOf(root, "contentLanguage"),
            CacheControl = FieldOf(root, "cacheControl"),
            HasMetadata = hasMetadata,
            Metadata = metadata,
            Hashes = new ClientHashes(
                crc is null ? null : HashHeader.ParseCrc32c(crc),
                md5 is null ? null : HashHeader.ParseMd5(md5)),
        };
    }

    /// <summary>The attributes of a new object (upload, copy destination, compose).</summary>
    public ObjectAttributes ForNewObject(string? fallbackContentType) => CheckedAttributes(new ObjectAttributes
    {
        ContentType = ContentType.Value ?? NonEmpty(fallbackContentType) ?? ObjectAttributes.DefaultContentType,
        ContentEncoding = ContentEncoding.Value,
        ContentDisposition = ContentDisposition.Value,
        ContentLanguage = ContentLanguage.Value,
        CacheControl = CacheControl.Value,
        Metadata = WithoutNulls(Metadata),
    });

    /// <summary>PATCH: merges what is present into the current attributes.</summary>
    public ObjectAttributes MergeInto(ObjectAttributes current)
    {
        var metadata = current.Metadata;
        if (HasMetadata)
        {
            if (Metadata is null)
            {
                metadata = ObjectAttributes.NoMetadata;
            }
            else
            {
                var merged = new Dictionary<string, string>(current.Metadata, StringComparer.Ordinal);
                foreach (var (key, value) in Metadata)
                {
                    if (value is null)
                        merged.Remove(key);
                    else
                        merged[key] = value;
                }
                metadata = merged;
            }
        }
        return CheckedAttributes(new ObjectAttributes
        {
            ContentType = ContentType.Present ? ContentType.Value ?? ObjectAttributes.DefaultContentType : current.ContentType,
            ContentEncoding = ContentEncoding.Present ? ContentEncoding.Value : current.ContentEncoding,
            ContentDisposition = ContentDisposition.Present ? ContentDisposition.Value : current.ContentDisposition,
            ContentLanguage = ContentLanguage.Present ? ContentLanguage.Value : current.ContentLanguage,
            CacheControl = CacheControl.Present ? CacheControl.Value : current.CacheControl,
            Metadata = metadata,
        });
    }

    /// <summary>PUT: the body is the whole new set of writable attributes.</summary>
    public ObjectAttributes Replacement() => ForNewObject(null);

    private static ObjectAttributes CheckedAttributes(ObjectAttributes attributes)
    {
        // Served back as response headers (Content-Type, Cache-Control, ... and x-goog-meta-* in the XML API): a line
        // break or other control character there cannot be sent, so it is refused here, once, with the field named.
        CheckHeaderText("contentType", attributes.ContentType);
        CheckHeaderText("contentEncoding", attributes.ContentEncoding);
        CheckHeaderText("contentDisposition", attributes.ContentDisposition);
        CheckHeaderText("contentLanguage", attributes.ContentLanguage);
        CheckHeaderText("cacheControl", attributes.CacheControl);
        foreach (var (key, value) in attributes.Metadata)
        {
            if (key.Length == 0)
                throw GcsException.BadRequest("Invalid metadata: a custom metadata key cannot be empty.");
            CheckHeaderText("metadata key", key);
            CheckHeaderText($"metadata value of '{key}'", value);
        }
        var size = ObjectAttributes.MetadataSize(attributes.Metadata);
        if (size > ObjectAttributes.MaxCustomMetadataBytes)
            throw GcsException.BadRequest(
                $"Custom metadata is {size} bytes; the total size of keys and values is limited to {ObjectAttributes.MaxCustomMetadataBytes} bytes.");
        return attributes;
    }

    private static void CheckHeaderText(string field, string? value)
    {
        if (value is null)
            return;
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                throw GcsException.BadRequest(
                    $"Invalid {field}: it holds the control character U+{(int)c:X4}; line breaks and other control characters cannot be sent in a header.");
            }
        }
    }

    private static IReadOnlyDictionary<string, string> WithoutNulls(Dictionary<string, string?>? metadata)
    {
        if (metadata is null || metadata.Count == 0)
            return ObjectAttributes.NoMetadata;
        var result = new Dictionary<string, string>(metadata.Count, StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
        {
            if (value is not null)
                result[key] = value;
        }
        return result;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static Field FieldOf(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) ? new Field(true, AsString(value)) : default;

    private static string? StringProperty(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) ? AsString(value) : null;

    private static string? AsString(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        _ => throw GcsException.BadRequest($"Expected a string, found {value.ValueKind}."),
    };

    /// <summary>A body field: whether it was present, and its value (null when cleared).</summary>
    internal readonly record struct Field(bool Present, string? Value);
}
