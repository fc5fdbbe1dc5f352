using System.Globalization;

namespace Octue.Mount.Emulator;

/// <summary>
/// The <c>Content-Range</c> of a resumable upload request: <c>bytes a-b/total</c>, <c>bytes a-b/*</c>,
/// <c>bytes a-*/total</c> (a stream of unknown chunk length), or the status query <c>bytes */total</c> / <c>bytes */*</c>.
/// </summary>
internal readonly record struct ContentRange(long? First, long? Last, long? Total)
{
    public bool IsStatusQuery => First is null;

    public static ContentRange Parse(string header)
    {
        var text = header.Trim();
        if (!text.StartsWith("bytes ", StringComparison.OrdinalIgnoreCase))
            throw Invalid(header);
        var spec = text[6..].Trim();
        var slash = spec.IndexOf('/');
        if (slash < 0)
            throw Invalid(header);
        var rangeText = spec[..slash];
        var totalText = spec[(slash + 1)..];
        long? total = totalText == "*" ? null : ParseNumber(totalText, header);
        if (rangeText == "*")
            return new ContentRange(null, null, total);
        var dash = rangeText.IndexOf('-');
        if (dash <= 0)
            throw Invalid(header);
        var first = ParseNumber(rangeText[..dash], header);
        var lastText = rangeText[(dash + 1)..];
        long? last = lastText == "*" ? null : ParseNumber(lastText, header);
        if (last < first)
            throw Invalid(header);
        return new ContentRange(first, last, total);
    }

    private static long ParseNumber(string text, string header) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : throw Invalid(header);

    private static GcsException Invalid(string header) =>
        GcsException.BadRequest($"Invalid Content-Range '{header}': expected 'bytes FIRST-LAST/TOTAL', 'bytes FIRST-LAST/*' or 'bytes */TOTAL'.");
}
