namespace Octue.Mount.Emulator.Tests;

/// <summary>Object names sort by their UTF-8 bytes, as GCS lists them.</summary>
public sealed class Utf8OrdinalComparerTests
{
    [Fact]
    public void NamesSortByUtf8BytesNotUtf16Units()
    {
        var names = new List<string> { "\U0001F600", "\uFFFD", "b", "a/", "a", "a0", "\uE000" };
        names.Sort(Utf8OrdinalComparer.Instance);
        var byBytes = names.OrderBy(n => n, Comparer<string>.Create((x, y) =>
            ((ReadOnlySpan<byte>)System.Text.Encoding.UTF8.GetBytes(x)).SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes(y)))).ToList();
        Assert.Equal(byBytes, names);
        // The largest valid name (256 code points of U+10FFFF = 1024 bytes) still sorts below the listing's upper bound.
        var largest = string.Concat(Enumerable.Repeat("\U0010FFFF", 256));
        Assert.Null(GcsNameRules.CheckObjectName(largest));
        Assert.True(Utf8OrdinalComparer.Instance.Compare(largest, Utf8OrdinalComparer.AboveAllNames) < 0);
    }
}
