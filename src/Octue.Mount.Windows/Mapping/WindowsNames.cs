using System.Text;

namespace Octue.Mount.Windows.Mapping;

/// <summary>
/// The one rule that turns a name component of a GCS object (what the VFS calls a name) into a name Windows accepts,
/// and back. It is reversible: <c>ToObjectName(ToWindowsName(n)) == n</c> for every name the VFS can hand out.
/// <list type="number">
/// <item>Characters Windows forbids in names, <c>\ : * ? " &lt; &gt; |</c>, become their fullwidth forms
/// (<c>＼ ： ＊ ？ ＂ ＜ ＞ ｜</c>, U+FF3C, U+FF1A, U+FF0A, U+FF1F, U+FF02, U+FF1C, U+FF1E, U+FF5C).</item>
/// <item>Control characters U+0000–U+001F become the Control Pictures U+2400–U+241F (␀ … ␟).</item>
/// <item>A trailing dot becomes <c>．</c> (U+FF0E) and a trailing space <c>␠</c> (U+2420): Win32 strips both.</item>
/// <item>A reserved device name (<c>CON PRN AUX NUL COM1–COM9 LPT1–LPT9 CONIN$ CONOUT$</c>, any case, alone or
/// before a dot, e.g. <c>con.txt</c>) gets its first letter in fullwidth form: <c>CON</c> → <c>ＣON</c>.</item>
/// <item>A character of the object name that the reverse mapping would otherwise translate (a literal fullwidth
/// character, control picture, and so on, where it would be read back as a substitute) is preceded by the quote
/// <c>‛</c> (U+201B), as is a literal <c>‛</c> that comes right before such a character.</item>
/// </list>
/// The same substitutions are what rclone's Windows encoder uses, so a bucket seen through both tools shows the same
/// names. The reverse mapping applies to names typed on Windows too: creating <c>a：b</c> writes the object <c>a:b</c>.
/// See docs/windows-names.md.
/// </summary>
internal static class WindowsNames
{
    public const char Quote = '\u201B';
    private const char FullwidthDot = '\uFF0E';
    private const char SpaceSymbol = '\u2420';
    private const string Forbidden = "\\:*?\"<>|";
    private const string ForbiddenSubstitutes = "\uFF3C\uFF1A\uFF0A\uFF1F\uFF02\uFF1C\uFF1E\uFF5C";

    private static readonly string[] ReservedNames =
    [
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
        "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];

    /// <summary>Maps an object-name component to the name Windows shows.</summary>
    public static string ToWindowsName(string objectName)
    {
        if (!NeedsEncoding(objectName))
            return objectName;

        // Each source character becomes one piece; a literal quote is escaped only when the next piece starts with a
        // character the decoder would take as escaped, so pieces are built right to left.
        var pieces = new string[objectName.Length];
        bool reserved = IsReservedDeviceName(objectName);
        int last = objectName.Length - 1;
        for (int i = last; i >= 0; i--)
        {
            char c = objectName[i];
            int forbidden = Forbidden.IndexOf(c);
            if (forbidden >= 0)
                pieces[i] = ForbiddenSubstitutes[forbidden].ToString();
            else if (c < 0x20)
                pieces[i] = ((char)(0x2400 + c)).ToString();
            else if (i == last && c == '.')
                pieces[i] = FullwidthDot.ToString();
            else if (i == last && c == ' ')
                pieces[i] = SpaceSymbol.ToString();
            else if (i == 0 && reserved)
                pieces[i] = ToFullwidth(c).ToString();
            else if (c == Quote)
                pieces[i] = i < last && IsEscapable(pieces[i + 1][0]) ? "\u201B\u201B" : "\u201B";
            else if (WouldBeTranslated(objectName, c, i, last))
                pieces[i] = string.Concat(Quote.ToString(), c.ToString());
            else
                pieces[i] = c.ToString();
        }
        return string.Concat(pieces);
    }

    /// <summary>Maps a name component received from Windows back to the object-name component.</summary>
    public static string ToObjectName(string windowsName)
    {
        if (!MayNeedDecoding(windowsName))
            return windowsName;

        var sb = new StringBuilder(windowsName.Length);
        int last = windowsName.Length - 1;
        for (int i = 0; i <= last; i++)
        {
            char c = windowsName[i];
            if (c == Quote && i < last && IsEscapable(windowsName[i + 1]))
            {
                sb.Append(windowsName[i + 1]);
                i++;
                continue;
            }
            int sub = ForbiddenSubstitutes.IndexOf(c);
            if (sub >= 0)
                sb.Append(Forbidden[sub]);
            else if (c is >= '\u2400' and <= '\u241F')
                sb.Append((char)(c - 0x2400));
            else if (i == last && c == FullwidthDot)
                sb.Append('.');
            else if (i == last && c == SpaceSymbol)
                sb.Append(' ');
            else
                sb.Append(c);
        }
        // An unescaped fullwidth first letter stands for an ASCII one when that spells a reserved device name; the
        // test uses the decoded remainder, as the encoder did.
        if (IsFullwidthLetterOrDigit(windowsName[0]))
        {
            string ascii = string.Concat(FromFullwidth(windowsName[0]).ToString(), sb.ToString(1, sb.Length - 1));
            if (IsReservedDeviceName(ascii))
                return ascii;
        }
        return sb.ToString();
    }

    /// <summary>True for names Win32 maps to devices regardless of the directory (compared case-insensitively).</summary>
    public static bool IsReservedDeviceName(string name)
    {
        int dot = name.IndexOf('.');
        ReadOnlySpan<char> stem = dot >= 0 ? name.AsSpan(0, dot) : name.AsSpan();
        foreach (string reserved in ReservedNames)
        {
            if (stem.Equals(reserved, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    // The characters a quote can escape: exactly those the decoder would otherwise translate somewhere.
    private static bool IsEscapable(char c) =>
        c == Quote || c == FullwidthDot || c == SpaceSymbol || ForbiddenSubstitutes.Contains(c) ||
        c is >= '\u2400' and <= '\u241F' || IsFullwidthLetterOrDigit(c);

    // Whether the decoder would translate the literal character c if it appeared unescaped at position i.
    private static bool WouldBeTranslated(string name, char c, int i, int last)
    {
        if (ForbiddenSubstitutes.Contains(c) || c is >= '\u2400' and <= '\u241F')
            return true;
        if (i == last && (c == FullwidthDot || c == SpaceSymbol))
            return true;
        return i == 0 && IsFullwidthLetterOrDigit(c) && IsReservedDeviceName(FromFullwidth(c) + name[1..]);
    }

    private static bool NeedsEncoding(string name)
    {
        foreach (char c in name)
        {
            if (c < 0x20 || Forbidden.Contains(c) || IsEscapable(c))
                return true;
        }
        return name.Length > 0 && (name[^1] is '.' or ' ' || IsReservedDeviceName(name));
    }

    private static bool MayNeedDecoding(string name)
    {
        foreach (char c in name)
        {
            if (IsEscapable(c))
                return true;
        }
        return false;
    }

    private static bool IsFullwidthLetterOrDigit(char c) =>
        c is >= '\uFF21' and <= '\uFF3A' or >= '\uFF41' and <= '\uFF5A' or >= '\uFF10' and <= '\uFF19';

    private static char ToFullwidth(char c) => c is >= '!' and <= '~' ? (char)(c - 0x21 + 0xFF01) : c;

    private static char FromFullwidth(char c) => (char)(c - 0xFF01 + 0x21);
}
