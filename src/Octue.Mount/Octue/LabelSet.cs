using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Octue.Mount.Octue;

/// <summary>
/// Octue labels: a sorted set of names, each stripped of surrounding white space and following
/// <c>^[a-z0-9][a-z0-9-]*$</c> without a trailing <c>-</c>. Enumeration is in ordinal (code point) order, the order
/// the Python SDK writes.
/// </summary>
public sealed partial class LabelSet : IReadOnlyCollection<string>, IEquatable<LabelSet>
{
    private readonly SortedSet<string> _labels = new(StringComparer.Ordinal);

    /// <summary>An empty set.</summary>
    public LabelSet() { }

    /// <summary>A set of <paramref name="labels"/>, each stripped and validated.</summary>
    public LabelSet(IEnumerable<string> labels)
    {
        foreach (var label in labels)
            Add(label);
    }

    /// <summary>The number of labels.</summary>
    public int Count => _labels.Count;

    /// <summary>Adds a label (stripped, then validated); false when it was already there.</summary>
    /// <exception cref="OctueFormatException">The label is invalid.</exception>
    public bool Add(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        var stripped = label.Trim();
        ValidateLabel(stripped);
        return _labels.Add(stripped);
    }

    /// <summary>Removes a label; false when it was not there.</summary>
    public bool Remove(string label) => _labels.Remove(label.Trim());

    /// <summary>True when the set holds <paramref name="label"/> (compared after stripping).</summary>
    public bool Contains(string label) => _labels.Contains(label.Trim());

    /// <summary>Removes every label.</summary>
    public void Clear() => _labels.Clear();

    /// <summary>
    /// Throws <see cref="OctueFormatException"/> unless <paramref name="label"/>, once stripped of surrounding white
    /// space, matches <c>^[a-z0-9][a-z0-9-]*$</c> and does not end with <c>-</c>.
    /// </summary>
    public static void ValidateLabel(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (!IsValidLabel(label))
            throw new OctueFormatException($"label '{label}'",
                "labels must match ^[a-z0-9][a-z0-9-]*$ (lower-case letters, digits and hyphens, starting with a letter or digit) and must not end with '-'");
    }

    /// <summary>True when <paramref name="label"/> (stripped) is a valid label.</summary>
    public static bool IsValidLabel(string label)
    {
        var stripped = label.Trim();
        return LabelPattern().IsMatch(stripped) && !stripped.EndsWith('-');
    }

    /// <summary>Parses a JSON array of labels (<c>["met-mast", "wind"]</c>), each stripped and validated.</summary>
    /// <exception cref="OctueFormatException">Not a JSON array of strings, or a label is invalid.</exception>
    public static LabelSet Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException error)
        {
            throw new OctueFormatException("labels", "labels must be a JSON array of strings such as [\"met-mast\", \"wind\"]", error);
        }
        if (node is not JsonArray array)
            throw new OctueFormatException("labels", "labels must be a JSON array of strings such as [\"met-mast\", \"wind\"]");
        var labels = new LabelSet();
        foreach (var item in array)
        {
            if (item is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
                throw new OctueFormatException("labels", "every label must be a string");
            labels.Add(value.GetValue<string>());
        }
        return labels;
    }

    /// <summary>
    /// Adds a name read from storage without rejecting it (for example an old-format tag name such as
    /// <c>blah:shah:nah</c>); <see cref="ValidateAll"/> runs before anything is written back.
    /// </summary>
    internal void AddStored(string label)
    {
        var stripped = label.Trim();
        if (stripped.Length > 0)
            _labels.Add(stripped);
    }

    /// <summary>Throws <see cref="OctueFormatException"/> for the first invalid label (labels read from storage are not checked on read).</summary>
    public void ValidateAll()
    {
        foreach (var label in _labels)
            ValidateLabel(label);
    }

    /// <summary>The labels as a JSON array, in ordinal order (the form <see cref="Parse"/> reads).</summary>
    public JsonArray ToJsonArray()
    {
        var array = new JsonArray();
        foreach (var label in _labels)
            array.Add(label);
        return array;
    }

    /// <summary>The labels as JSON text, as Python's <c>json.dumps</c> writes the array: <c>["met-mast", "wind"]</c>.</summary>
    public string ToJson() => PythonJson.Serialize(ToJsonArray());

    /// <summary>A deep copy.</summary>
    public LabelSet Clone()
    {
        var copy = new LabelSet();
        foreach (var label in _labels)
            copy._labels.Add(label);
        return copy;
    }

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator() => _labels.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public bool Equals(LabelSet? other) => other is not null && _labels.SetEquals(other._labels);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is LabelSet other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var label in _labels) hash.Add(label, StringComparer.Ordinal);
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(", ", _labels);

    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex LabelPattern();
}
