using System.Globalization;

namespace Octue.Mount.Emulator;

/// <summary>A single <c>Range: bytes=a-b</c> request header resolved against an object's size.</summary>
internal readonly record struct ByteRange(long Offset, long Length)
{
    public long Last => Offset + Length - 1;

    /// <summary>
    /// Parses the header: null when there is none, or it asks for several ranges (answered with the whole object,
    /// as HTTP allows); <paramref name="satisfiable"/> is false for a range that starts beyond the end.
    /// </summary>
    public static ByteRange? Parse(string? header, long size, out bool satisfiable)
    {
        satisfiable = true;
        if (string.IsNullOrWhiteSpace(header))
            return null;
        var text = header.Trim();
        if (!text.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || text.Contains(','))
            return null;
        var spec = text[6..].Trim();
        var dash = spec.IndexOf('-');
        if (dash < 0)
            return null;
        var firstText = spec[..dash].Trim();
        var lastText = spec[(dash + 1)..].Trim();
        if (firstText.Length == 0)
        {
            // bytes=-N: the last N bytes.
            if (!long.TryParse(lastText, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix))
                return null;
            if (suffix == 0 || size == 0)
            {
                satisfiable = size == 0 && suffix > 0;
                return satisfiable ? null : default;
            }
            var length = Math.Min(suffix, size);
            return new ByteRange(size - length, length);
        }
        if (!long.TryParse(firstText, NumberStyles.None, CultureInfo.InvariantCulture, out var first))
            return null;
        var last = size - 1;
        if (lastText.Length > 0)
        {
            if (!long.TryParse(lastText, NumberStyles.None, CultureInfo.InvariantCulture, out last) || last < first)
                return null;
            last = Math.Min(last, size - 1);
        }
        if (first >= size)
        {
            // An open range from 0 on an empty object is the whole (empty) object, not an error.
            satisfiable = size == 0 && first == 0 && lastText.Length == 0;
            return satisfiable ? null : default;
        }
        return new ByteRange(first, last - first + 1);
    }
}
