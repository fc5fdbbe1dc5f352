using System.Text.Json;
using System.Text.Json.Nodes;

namespace Octue.Mount.Octue;

/// <summary>
/// A manifest file: an id, an optional name and named datasets. Reads the current format (<c>datasets</c> an object of
/// name → path or dataset object) and the old one (<c>datasets</c> a list plus <c>keys</c> mapping names to indices;
/// the old writer sorted the list without fixing the indices, so a name that disagrees with its index's directory is
/// matched by directory name). Writes the current format as the Python SDK does: sorted keys, indent 4.
/// </summary>
public sealed class ManifestDocument
{
    /// <summary>The manifest's id (a UUID), if recorded.</summary>
    public string? Id { get; set; }

    /// <summary>The manifest's name, if recorded.</summary>
    public string? Name { get; set; }

    /// <summary>The datasets by name, in the order they appear.</summary>
    public IReadOnlyDictionary<string, ManifestDatasetRef> Datasets { get; set; } = new Dictionary<string, ManifestDatasetRef>();

    /// <summary>Parses a manifest (either format).</summary>
    /// <exception cref="OctueFormatException">The content is not a JSON object or a field has the wrong shape.</exception>
    public static ManifestDocument Parse(string json)
    {
        var root = OctueJsonText.Parse(json, "manifest");
        if (root is not JsonObject obj)
            throw new OctueFormatException("manifest", "the content must be a JSON object with 'id' and 'datasets'");

        var manifest = new ManifestDocument
        {
            Id = OptionalString(obj, "id", "manifest 'id'"),
            Name = OptionalString(obj, "name", "manifest 'name'"),
        };

        obj.TryGetPropertyValue("datasets", out var datasets);
        manifest.Datasets = datasets switch
        {
            null => new Dictionary<string, ManifestDatasetRef>(),
            JsonObject named => ParseNamed(named),
            JsonArray list => ParseOldList(list, obj["keys"]),
            _ => throw new OctueFormatException("manifest 'datasets'", "must be an object of dataset name to path or dataset (or, in the old format, a list of paths)"),
        };
        return manifest;
    }

    private static Dictionary<string, ManifestDatasetRef> ParseNamed(JsonObject named)
    {
        var result = new Dictionary<string, ManifestDatasetRef>(StringComparer.Ordinal);
        foreach (var (name, value) in named)
        {
            var field = $"manifest 'datasets.{name}'";
            result[name] = value switch
            {
                JsonValue path when path.GetValueKind() == JsonValueKind.String => new ManifestDatasetRef { Path = path.GetValue<string>() },
                JsonObject dataset => ParseDatasetObject(dataset, field),
                _ => throw new OctueFormatException(field, "must be a path string or a dataset object"),
            };
        }
        return result;
    }

    private static ManifestDatasetRef ParseDatasetObject(JsonObject dataset, string field)
    {
        var tags = new TagDict();
        var labels = new LabelSet();
        if (dataset["tags"] is { } tagNode)
        {
            if (tagNode is JsonObject tagObject)
                tags = TagDict.FromStored(tagObject);
            else
                foreach (var name in LegacyNames.FromNode(tagNode)) labels.AddStored(name);
        }
        if (dataset["labels"] is { } labelNode)
            foreach (var label in LegacyNames.FromNode(labelNode)) labels.AddStored(label);

        var files = dataset["files"] is { } fileNode ? DatasetMetadata.ParseFileList(fileNode, field + ".files") : null;
        var path = OptionalString(dataset, "path", field + ".path");
        if (files is null && path is null)
            throw new OctueFormatException(field, "a dataset object needs 'files' or 'path'");
        return new ManifestDatasetRef
        {
            Path = path,
            Files = files,
            Id = OptionalString(dataset, "id", field + ".id"),
            Name = OptionalString(dataset, "name", field + ".name"),
            Tags = tags,
            Labels = labels,
        };
    }

    private static Dictionary<string, ManifestDatasetRef> ParseOldList(JsonArray list, JsonNode? keysNode)
    {
        var paths = new List<string>(list.Count);
        foreach (var item in list)
        {
            if (item is JsonValue value && value.GetValueKind() == JsonValueKind.String)
                paths.Add(value.GetValue<string>());
            else if (item is JsonObject obj && OptionalString(obj, "path", "manifest 'datasets'") is { } path)
                paths.Add(path);
            else
                throw new OctueFormatException("manifest 'datasets'", "every entry of the old-format list must be a path string");
        }

        var result = new Dictionary<string, ManifestDatasetRef>(StringComparer.Ordinal);
        if (keysNode is null)
        {
            foreach (var path in paths)
                result[DirectoryName(path)] = new ManifestDatasetRef { Path = path };
            return result;
        }
        if (keysNode is not JsonObject keys)
            throw new OctueFormatException("manifest 'keys'", "must be an object of dataset name to index");

        foreach (var (name, indexNode) in keys)
        {
            if (indexNode is not JsonValue indexValue || !indexValue.TryGetValue<int>(out var index))
                throw new OctueFormatException($"manifest 'keys.{name}'", "must be an integer index into 'datasets'");
            var byIndex = index >= 0 && index < paths.Count ? paths[index] : null;
            string? chosen = byIndex;
            if (byIndex is null || DirectoryName(byIndex) != name)
            {
                // The old writer sorted 'datasets' without fixing 'keys': trust the directory name over the index.
                foreach (var path in paths)
                {
                    if (DirectoryName(path) == name)
                    {
                        chosen = path;
                        break;
                    }
                }
            }
            if (chosen is null)
                throw new OctueFormatException($"manifest 'keys.{name}'", $"index {index} is outside 'datasets' (which has {paths.Count} entries) and no dataset directory is named '{name}'");
            result[name] = new ManifestDatasetRef { Path = chosen };
        }
        return result;
    }

    private static string DirectoryName(string path)
    {
        var trimmed = path.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        return slash < 0 ? trimmed : trimmed[(slash + 1)..];
    }

    private static string? OptionalString(JsonObject obj, string name, string field)
    {
        if (!obj.TryGetPropertyValue(name, out var node) || node is null)
            return null;
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            return value.GetValue<string>();
        throw new OctueFormatException(field, "must be a string or null");
    }

    /// <summary>
    /// The manifest in the current format, as the Python SDK writes it (<c>json.dumps(…, sort_keys=True, indent=4)</c>):
    /// a dataset with a path and no file list is written as its path string, otherwise as a dataset object.
    /// </summary>
    /// <exception cref="OctueFormatException">An invalid tag name or label in a dataset object.</exception>
    public string ToJson()
    {
        var datasets = new JsonObject();
        foreach (var (name, dataset) in Datasets)
        {
            if (dataset.Files is null && dataset.Path is not null)
            {
                datasets[name] = dataset.Path;
                continue;
            }
            dataset.Tags.ValidateAll();
            dataset.Labels.ValidateAll();
            var metadata = new DatasetMetadata
            {
                Id = dataset.Id,
                Name = dataset.Name,
                Tags = dataset.Tags,
                Labels = dataset.Labels,
                Path = dataset.Path,
                Files = dataset.Files ?? [],
            };
            datasets[name] = metadata.ToJsonObject();
        }
        var root = new JsonObject { ["datasets"] = datasets, ["id"] = Id, ["name"] = Name };
        return PythonJson.Serialize(root, sortKeys: true, indent: 4);
    }
}
