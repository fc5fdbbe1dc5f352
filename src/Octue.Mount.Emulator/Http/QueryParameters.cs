using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Octue.Mount.Emulator;

/// <summary>Typed access to query parameters; a malformed number is a 400 naming the parameter.</summary>
internal static class QueryParameters
{
    public static string? String(HttpRequest request, string name)
    {
        var values = request.Query[name];
        return values.Count == 0 ? null : values[0];
    }

    public static long? Long(HttpRequest request, string name)
    {
        var text = String(request, name);
        if (string.IsNullOrEmpty(text))
            return null;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            throw GcsException.BadRequest($"Invalid value '{text}' for query parameter '{name}': expected a non-negative integer.");
        return value;
    }

    public static bool Bool(HttpRequest request, string name)
    {
        var text = String(request, name);
        return text is not null && (text.Length == 0 || text.Equals("true", StringComparison.OrdinalIgnoreCase));
    }

    public static Preconditions Preconditions(HttpRequest request, string prefix = "if") => new(
        Long(request, prefix + "GenerationMatch"),
        Long(request, prefix + "GenerationNotMatch"),
        Long(request, prefix + "MetagenerationMatch"),
        Long(request, prefix + "MetagenerationNotMatch"));

    /// <summary>The preconditions on the source of a copy (<c>ifSourceGenerationMatch</c>...).</summary>
    public static Preconditions SourcePreconditions(HttpRequest request) => Preconditions(request, "ifSource");
}
