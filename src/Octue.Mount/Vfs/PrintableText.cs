using System.Globalization;
using System.Text;

namespace Octue.Mount.Vfs;

/// <summary>
/// Text from outside the program (object names, metadata, manifests, key files) made safe to put in one line of a
/// message or a log. Every control character (NUL, line breaks, escape, the C1 controls) and the Unicode line and
/// paragraph separators are written as <c>\uXXXX</c>: such text can then neither break a line, nor start a line that
/// reads as a log entry of its own (journald also ends an entry at a NUL), nor drive a terminal.
/// </summary>
public static class PrintableText
{
    /// <summary>
    /// The text with every character that could break a line or control a terminal written as <c>\uXXXX</c>; the
    /// same string when it has none.
    /// </summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = IndexOfUnprintable(text);
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        builder.Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (IsUnprintable(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static int IndexOfUnprintable(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (IsUnprintable(text[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsUnprintable(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
