using System.Text.Json;
using System.Text.Json.Nodes;

namespace Octue.Mount.Octue;

/// <summary>
/// The metadata file of a dataset: <c>.octue</c> (current format, written here) or the old <c>dataset_metadata.json</c>
/// and <c>dataset.json</c> (read only; their <c>tags</c> may be a Python list repr string such as <c>"['x', 'y:z']"</c>,
/// exposed as labels-like names). An optional <see cref="Files"/> list means "exactly these files"; without it a
/// dataset's files are a recursive listing of its prefix.
/// </summary>
public sealed class DatasetMetadata
{
    /// <summary>The current metadata file name.</summary>
    public const string OctueFileName = ".octue";

    /// <summary>Metadata file names in the order they are looked for.</summary>
    public static IReadOnlyList<string> FileNames { get; } = [OctueFileName, "dataset_metadata.json", "dataset.json"];

    /// <summary>The dataset's id (a UUID), if known.</summary>
    public string? Id { get; set; }

    /// <summary>The dataset's name, if recorded.</summary>
    public string? Name { get; set; }

    /// <summary>The tags.</summary>
    public TagDict Tags { get; set; } = new();

    /// <summary>The labels.</summary>
    public LabelSet Labels { get; set; } = new();

    /// <summary>The dataset's location as recorded (informational).</summary>
    public string? Path { get; set; }

    /// <summary>When present, exactly the dataset's files (gs:// URIs, any bucket).</summary>
    public IReadOnlyList<string>? Files { get; set; }

    /// <summary>True when <paramref name="fileName"/> (a base name) is one of the dataset metadata file names.</summary>
    public static bool IsMetadataFileName(string fileName)
    {
        foreach (var name in FileNames)
            if (string.Equals(name, fileName, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>Parses a dataset metadata file.</summary>
    /// <param name="json">The file's content.</param>
    /// <param name="fileName">Its name (<c>.octue</c>, <c>dataset_metadata.json</c> or <c>dataset.json</c>), used in messages.</param>
    /// <exception cref="OctueFormatException">The content is not JSON or a field has the wrong shape.</exception>
    public static DatasetMetadata Parse(string json, string fileName)
    {
        var root = OctueJsonText.Parse(json, $"dataset metadata file '{fileName}'");
        if (root is not JsonObject rootObject)
            throw new OctueFormatException($"dataset metadata file '{fileName}'", "the content must be a JSON object");

        // The current format wraps the fields in {"dataset": {...}}; the old one puts them at the top level.
        var fields = rootObject;
        if (rootObject.TryGetPropertyValue("dataset", out var wrapped))
        {
            if (wrapped is not JsonObject inner)
                throw new OctueFormatException($"'dataset' in '{fileName}'", "must be a JSON object holding the dataset's fields");
            fields = inner;
        }

        var metadata = new DatasetMetadata
        {
            Id = OptionalString(fields, "id", fileName),
            Name = OptionalString(fields, "name", fileName),
            Path = OptionalString(fields, "path", fileName),
        };

        if (fields.TryGetPropertyValue("tags", out var tags) && tags is not null)
        {
            if (tags is JsonObject tagObject)
                metadata.Tags = TagDict.FromStored(tagObject);
            else if (tags is JsonArray || (tags is JsonValue v && v.GetValueKind() == JsonValueKind.String))
                foreach (var name in LegacyNames.FromNode(tags))
                    metadata.Labels.AddStored(name);
            else
                throw new OctueFormatException($"'tags' in '{fileName}'", "must be a JSON object of tags (or, in the old format, a list of names)");
        }

        if (fields.TryGetPropertyValue("labels", out var labels) && labels is not null)
        {
            if (labels is not (JsonArray or JsonObject) && !(labels is JsonValue lv && lv.GetValueKind() == JsonValueKind.String))
                throw new OctueFormatException($"'labels' in '{fileName}'", "must be a list of labels");
            foreach (var label in LegacyNames.FromNode(labels))
                metadata.Labels.AddStored(label);
        }

        if (fields.TryGetPropertyValue("files", out var files) && files is not null)
            metadata.Files = ParseFileList(files, $"'files' in '{fileName}'");

        return metadata;
    }

    internal static IReadOnlyList<string> ParseFileList(JsonNode files, string field)
    {
        if (files is not JsonArray array)
            throw new OctueFormatException(field, "must be a list of gs:// URIs");
        var list = new List<string>(array.Count);
        foreach (var item in array)
        {
            if (item is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
                throw new OctueFormatException(field, "every entry must be a gs:// URI string");
            var uri = value.GetValue<string>();
            if (!CloudPath.TryParse(uri, out _, out var problem))
                throw new OctueFormatException(field, $"'{uri}' is not a valid cloud location: {problem}");
            list.Add(uri);
        }
        return list;
    }

    private static string? OptionalString(JsonObject fields, string name, string fileName)
    {
        if (!fields.TryGetPropertyValue(name, out var node) || node is null)
            return null;
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            return value.GetValue<string>();
        throw new OctueFormatException($"'{name}' in '{fileName}'", "must be a string or null");
    }

    /// <summary>
    /// The <c>.octue</c> content in the current format, as the Python SDK writes it:
    /// <c>{"dataset": {"id": …, "name": …, "tags": {…}, "labels": [sorted], "path": …}}</c> (plus <c>"files"</c> when set),
    /// compact with Python's default separators and ASCII escapes.
    /// </summary>
    /// <exception cref="OctueFormatException">An invalid tag name or label.</exception>
    public string ToOctueJson()
    {
        Tags.ValidateAll();
        Labels.ValidateAll();
        return PythonJson.Serialize(new JsonObject { ["dataset"] = ToJsonObject() });
    }

    /// <summary>The fields as a JSON object in the SDK's order (id, name, tags, labels, path, files).</summary>
    internal JsonObject ToJsonObject()
    {
        var obj = new JsonObject
        {
            ["id"] = Id,
            ["name"] = Name,
            ["tags"] = Tags.ToJsonObject(),
            ["labels"] = Labels.ToJsonArray(),
            ["path"] = Path,
        };
        if (Files is not null)
        {
            var files = new JsonArray();
            foreach (var file in Files)
                files.Add(file);
            obj["files"] = files;
        }
        return obj;
    }
}
