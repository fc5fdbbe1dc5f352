using System.Text.Json;
using System.Text.Json.Nodes;

namespace Octue.Mount.Octue;

/// <summary>
/// Parses JSON read from Octue files (manifests, dataset metadata, tags), which are input from whoever can write the
/// bucket: a failure names the real problem (too deeply nested, with the limit; or where the JSON breaks), never
/// just "not valid JSON".
/// </summary>
internal static class OctueJsonText
{
    /// <summary>
    /// Deepest nesting of objects and arrays accepted (System.Text.Json's default). Octue's own files need three or
    /// four levels; tag values may nest, but not this far. A document past it is refused before it is built.
    /// </summary>
    public const int MaxDepth = 64;

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = MaxDepth };

    /// <summary>Parses <paramref name="json"/>; throws <see cref="OctueFormatException"/> for <paramref name="field"/> naming what is wrong.</summary>
    public static JsonNode? Parse(string json, string field)
    {
        try
        {
            return JsonNode.Parse(json, documentOptions: Options);
        }
        catch (JsonException error)
        {
            throw new OctueFormatException(field, Problem(json, error), error);
        }
    }

    /// <summary>Why <paramref name="json"/> could not be parsed, in words.</summary>
    public static string Problem(string json, JsonException error)
    {
        if (NestingDepth(json, MaxDepth + 1) > MaxDepth)
            return $"the JSON is nested too deeply: more than {MaxDepth} levels of objects and arrays (the limit)";
        var where = error.LineNumber is { } line && error.BytePositionInLine is { } position
            ? $" (line {line + 1}, byte {position + 1})"
            : "";
        return "the content must be valid JSON" + where;
    }

    /// <summary>The deepest nesting of <c>{</c> and <c>[</c> outside strings, counted up to <paramref name="stopAt"/>.</summary>
    internal static int NestingDepth(string json, int stopAt)
    {
        int depth = 0, deepest = 0;
        var inString = false;
        for (var i = 0; i < json.Length && deepest < stopAt; i++)
        {
            var c = json[i];
            if (inString)
            {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
                continue;
            }
            switch (c)
            {
                case '"':
                    inString = true;
                    break;
                case '{' or '[':
                    deepest = Math.Max(deepest, ++depth);
                    break;
                case '}' or ']':
                    depth--;
                    break;
            }
        }
        return deepest;
    }
}
