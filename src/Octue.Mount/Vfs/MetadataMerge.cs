namespace Octue.Mount.Vfs;

/// <summary>
/// Three-way merge of custom metadata: an upload replaces the object's metadata, so when someone changed it since our
/// copy was taken, their keys are kept and only the keys we changed (set, changed or removed) are applied over them.
/// </summary>
internal static class MetadataMerge
{
    /// <param name="current">The object's metadata now.</param>
    /// <param name="original">The metadata our copy started from.</param>
    /// <param name="mine">Our copy's metadata, with our changes.</param>
    public static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> current, IReadOnlyDictionary<string, string> original,
        IReadOnlyDictionary<string, string> mine)
    {
        var merged = new Dictionary<string, string>(current, StringComparer.Ordinal);
        foreach (var (key, value) in mine)
        {
            if (!original.TryGetValue(key, out var before) || before != value)
            {
                merged[key] = value;
            }
        }

        foreach (var key in original.Keys)
        {
            if (!mine.ContainsKey(key))
            {
                merged.Remove(key);
            }
        }

        return merged;
    }
}
