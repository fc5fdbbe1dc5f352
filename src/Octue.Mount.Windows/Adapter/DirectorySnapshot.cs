using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows.Adapter;

/// <summary>
/// A directory listing in the order ReadDirectory returns it: "." and ".." first (not for the root, as NTFS does),
/// then the entries sorted by ordinal comparison of their Windows names, so a marker (the last name returned) can be
/// found again by binary search.
/// </summary>
internal sealed class DirectorySnapshot
{
    private readonly (string Name, FspFileInfo Info)[] _dots;
    private readonly (string Name, FspFileInfo Info)[] _entries;

    public DirectorySnapshot((string Name, FspFileInfo Info)[] dots, List<(string Name, FspFileInfo Info)> entries)
    {
        _dots = dots;
        entries.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        _entries = entries.ToArray();
    }

    public int Count => _dots.Length + _entries.Length;

    public (string Name, FspFileInfo Info) this[int index] =>
        index < _dots.Length ? _dots[index] : _entries[index - _dots.Length];

    /// <summary>The index of the first entry after <paramref name="marker"/> (0 when there is no marker).</summary>
    public int IndexAfter(string? marker)
    {
        if (marker is null)
            return 0;
        for (int i = 0; i < _dots.Length; i++)
        {
            if (marker == _dots[i].Name)
                return i + 1;
        }
        int lo = 0, hi = _entries.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (string.CompareOrdinal(_entries[mid].Name, marker) <= 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        return _dots.Length + lo;
    }
}
