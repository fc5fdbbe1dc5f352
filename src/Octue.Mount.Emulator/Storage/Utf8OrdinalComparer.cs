namespace Octue.Mount.Emulator;

/// <summary>
/// Orders names as GCS lists them: by their UTF-8 bytes, which is code point order. UTF-16 ordinal order differs
/// only where surrogates (code points above U+FFFF) meet U+E000..U+FFFF, so those are shifted here.
/// </summary>
internal sealed class Utf8OrdinalComparer : IComparer<string>
{
    public static readonly Utf8OrdinalComparer Instance = new();

    /// <summary>A key above every valid object name (those are at most 1024 UTF-8 bytes).</summary>
    public static readonly string AboveAllNames = string.Concat(Enumerable.Repeat("\U0010FFFF", 300));

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
            return 0;
        if (x is null)
            return -1;
        if (y is null)
            return 1;
        var common = x.AsSpan().CommonPrefixLength(y);
        if (common < x.Length && common < y.Length)
            return Weight(x[common]) - Weight(y[common]);
        return x.Length - y.Length;
    }

    private static int Weight(char c) => c < 0xD800 ? c : c >= 0xE000 ? c - 0x800 : c + 0x2000;
}
