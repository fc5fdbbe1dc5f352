using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Octue.Mount.Octue;

/// <summary>
/// The Octue metadata of one datafile, as carried in its object's custom metadata.
/// Reads the new format (<c>octue__</c> keys, JSON values), the old unprefixed format (posix-float timestamps,
/// tag-name lists) and the raw non-JSON strings of the 0.1.17–0.1.18 era; a prefixed key wins over its unprefixed
/// twin. Keys that are not Octue's stay in <see cref="Other"/> untouched. Writes only the new format, byte for byte
/// as the Python SDK writes it.
/// </summary>
public sealed class DatafileMetadata
{
    /// <summary>The prefix of every key the current format writes.</summary>
    public const string KeyPrefix = "octue__";

    /// <summary>GCS's cap on the total size of an object's custom metadata (keys and values, UTF-8).</summary>
    public const int MaxCustomMetadataBytes = 8 * 1024;

    private static readonly string[] OctueFields = ["id", "timestamp", "tags", "labels", "sdk_version"];

    /// <summary>The text written as <c>octue__sdk_version</c> (free text, informational).</summary>
    public static string WriterVersion { get; } = "octue-mount " + (typeof(DatafileMetadata).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0");

    /// <summary>The datafile's id (a lower-case hyphenated UUID when written by an Octue SDK); null when none.</summary>
    public string? Id { get; set; }

    /// <summary>The datafile's timestamp (UTC, microsecond precision); null when none.</summary>
    public DateTimeOffset? Timestamp { get; set; }

    /// <summary>The tags.</summary>
    public TagDict Tags { get; set; } = new();

    /// <summary>The labels (old-format tag names appear here too).</summary>
    public LabelSet Labels { get; set; } = new();

    /// <summary>The SDK version recorded by whoever wrote the object, if any.</summary>
    public string? SdkVersion { get; set; }

    /// <summary>Custom metadata that is not Octue's (and old keys such as <c>hash_value</c>), kept as stored.</summary>
    public IReadOnlyDictionary<string, string> Other { get; set; } = ObjectMetadataEmpty;

    private static readonly IReadOnlyDictionary<string, string> ObjectMetadataEmpty = new Dictionary<string, string>();

    /// <summary>Reads an object's custom metadata (any format). Never throws for content written by any SDK version.</summary>
    public static DatafileMetadata FromObjectMetadata(IReadOnlyDictionary<string, string>? metadata)
    {
        var result = new DatafileMetadata();
        if (metadata is null || metadata.Count == 0)
            return result;

        var consumed = new HashSet<string>(StringComparer.Ordinal);
        var other = new Dictionary<string, string>(StringComparer.Ordinal);

        string? Take(string field)
        {
            if (metadata.TryGetValue(KeyPrefix + field, out var prefixed))
            {
                consumed.Add(KeyPrefix + field);
                return prefixed;
            }
            if (metadata.TryGetValue(field, out var plain))
            {
                consumed.Add(field);
                return plain;
            }
            return null;
        }

        if (Take("id") is { } idText)
            result.Id = ParseValue(idText) is JsonValue idValue && idValue.GetValueKind() == JsonValueKind.String
                ? idValue.GetValue<string>()
                : NullOrRaw(idText);

        if (Take("timestamp") is { } timestampText)
            result.Timestamp = OctueTimestamp.FromNode(ParseValue(timestampText));

        if (Take("tags") is { } tagsText)
            ReadTags(result, tagsText);

        if (Take("labels") is { } labelsText)
        {
            foreach (var label in LegacyNames.FromNode(ParseValue(labelsText)))
                result.Labels.AddStored(label);
        }

        if (Take("sdk_version") is { } versionText)
            result.SdkVersion = ParseValue(versionText) is JsonValue versionValue && versionValue.GetValueKind() == JsonValueKind.String
                ? versionValue.GetValue<string>()
                : NullOrRaw(versionText);

        foreach (var (key, value) in metadata)
        {
            if (!consumed.Contains(key))
                other[key] = value;
        }
        result.Other = other;
        return result;
    }

    private static void ReadTags(DatafileMetadata result, string tagsText)
    {
        var node = ParseValue(tagsText);
        switch (node)
        {
            case JsonObject obj:
                result.Tags = TagDict.FromStored(obj);
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String && !IsJson(tagsText):
                // A raw (non-JSON) string of the 0.1.17-0.1.18 era: white-space separated names.
                foreach (var name in LegacyNames.FromText(tagsText))
                    result.Labels.AddStored(name);
                break;
            default:
                // Old format: a list of names without values (or a string holding one).
                foreach (var name in LegacyNames.FromNode(node))
                    result.Labels.AddStored(name);
                break;
        }
    }

    private static string? NullOrRaw(string text) => IsJson(text) && JsonNode.Parse(text) is null ? null : text;

    private static bool IsJson(string text)
    {
        try
        {
            JsonNode.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Parses a stored value as JSON; a value that is not JSON is kept as the raw string.</summary>
    private static JsonNode? ParseValue(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    /// <summary>
    /// The new-format custom metadata (<c>octue__</c> keys, in the order the Python SDK writes them), with every value
    /// JSON text as Python's <c>json.dumps</c> writes it. Validates tag names and labels, and the total size
    /// together with <see cref="Other"/> (which stays on the object), before anything is written.
    /// </summary>
    /// <exception cref="OctueFormatException">An invalid tag name or label, or more than 8 KiB of custom metadata.</exception>
    public Dictionary<string, string> ToObjectMetadata()
    {
        Tags.ValidateAll();
        Labels.ValidateAll();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [KeyPrefix + "id"] = Id is null ? "null" : PythonJson.Quote(Id),
            [KeyPrefix + "timestamp"] = PythonJson.Serialize(OctueTimestamp.ToNode(Timestamp)),
            [KeyPrefix + "tags"] = Tags.ToJson(),
            [KeyPrefix + "labels"] = PythonJson.Serialize(new JsonObject { ["_type"] = "set", ["items"] = Labels.ToJsonArray() }),
            [KeyPrefix + "sdk_version"] = PythonJson.Quote(WriterVersion),
        };
        var combined = new Dictionary<string, string>(Other, StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
            combined[key] = value;
        EnsureWithinLimit(combined);
        return metadata;
    }

    /// <summary>The metadata to store on an object: <see cref="Other"/> with the new-format keys over it.</summary>
    /// <exception cref="OctueFormatException">As <see cref="ToObjectMetadata"/>.</exception>
    public Dictionary<string, string> ToMergedObjectMetadata()
    {
        var merged = new Dictionary<string, string>(Other, StringComparer.Ordinal);
        foreach (var (key, value) in ToObjectMetadata())
            merged[key] = value;
        return merged;
    }

    /// <summary>Throws <see cref="OctueFormatException"/> when the custom metadata exceeds GCS's 8 KiB cap.</summary>
    public static void EnsureWithinLimit(IReadOnlyDictionary<string, string> metadata)
    {
        long total = 0;
        foreach (var (key, value) in metadata)
            total += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value);
        if (total > MaxCustomMetadataBytes)
            throw new OctueFormatException("datafile metadata",
                $"custom metadata totals {total} bytes but Cloud Storage allows at most {MaxCustomMetadataBytes} bytes (8 KiB) of keys and values; use fewer or smaller tags");
    }

    /// <summary>True when <paramref name="key"/> is one the Octue format reads (prefixed or not).</summary>
    public static bool IsOctueKey(string key)
    {
        var field = key.StartsWith(KeyPrefix, StringComparison.Ordinal) ? key[KeyPrefix.Length..] : key;
        return Array.IndexOf(OctueFields, field) >= 0;
    }

    /// <summary>A deep copy.</summary>
    public DatafileMetadata Clone() => new()
    {
        Id = Id,
        Timestamp = Timestamp,
        Tags = Tags.Clone(),
        Labels = Labels.Clone(),
        SdkVersion = SdkVersion,
        Other = new Dictionary<string, string>(Other, StringComparer.Ordinal),
    };
}
