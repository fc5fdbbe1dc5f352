using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Octue.Mount.Octue;

/// <summary>
/// Reads the tag lists of the old format (0.1.x): a JSON list of names, a Python list repr string such as
/// <c>"['x', 'y:z']"</c>, or a white-space separated string. The names carry no values; callers expose them as
/// labels-like names and never reject them.
/// </summary>
internal static class LegacyNames
{
    public static IEnumerable<string> FromNode(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return [];
            case JsonArray array:
                return FromArray(array);
            case JsonObject obj when obj["items"] is JsonArray items:
                return FromArray(items);
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return FromText(value.GetValue<string>());
            default:
                return [PythonJson.Serialize(node)];
        }
    }

    public static IEnumerable<string> FromArray(JsonArray array)
    {
        var names = new List<string>(array.Count);
        foreach (var item in array)
        {
            if (item is JsonValue value && value.GetValueKind() == JsonValueKind.String)
                names.Add(value.GetValue<string>());
            else if (item is not null)
                names.Add(PythonJson.Serialize(item));
        }
        return names;
    }

    /// <summary>A Python list repr (<c>['a', "b"]</c>), a JSON list, or white-space separated names.</summary>
    public static IEnumerable<string> FromText(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.StartsWith('[') && trimmed.EndsWith(']'))
        {
            try
            {
                if (JsonNode.Parse(trimmed) is JsonArray array)
                    return FromArray(array);
            }
            catch (JsonException)
            {
                // Not JSON: most likely a Python repr with single quotes, handled below.
            }
            if (TryParsePythonList(trimmed, out var names))
                return names;
        }
        return trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
    }

    private static bool TryParsePythonList(string text, out List<string> names)
    {
        names = [];
        var i = 1;
        var end = text.Length - 1;
        while (true)
        {
            while (i < end && (char.IsWhiteSpace(text[i]) || text[i] == ',')) i++;
            if (i >= end) return true;
            var quote = text[i];
            if (quote != '\'' && quote != '"') return false;
            i++;
            var item = new StringBuilder();
            while (true)
            {
                if (i >= end) return false;
                var c = text[i++];
                if (c == quote) break;
                if (c == '\\' && i < end)
                {
                    var escaped = text[i++];
                    item.Append(escaped switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => escaped });
                    continue;
                }
                item.Append(c);
            }
            names.Add(item.ToString());
        }
    }
}
