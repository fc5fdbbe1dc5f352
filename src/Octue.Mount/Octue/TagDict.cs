using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Octue.Mount.Octue;

/// <summary>
/// Octue tags: names mapped to any JSON value, in insertion order (as a Python dict keeps them).
/// Names follow <c>^[a-z0-9][a-z0-9_]*$</c> and do not end with <c>_</c>. Integers and floats stay distinct
/// (<c>1</c> is not <c>1.0</c>); nested objects and arrays and any unicode text are kept as given.
/// Values are <see cref="JsonNode"/>s, so <c>tags["height"] = 110.5</c> and <c>tags["count"] = 3</c> work directly.
/// Two tag sets are equal when they serialise to the same JSON.
/// </summary>
public sealed partial class TagDict : IReadOnlyDictionary<string, JsonNode?>, IEquatable<TagDict>
{
    private readonly OrderedDictionary<string, JsonNode?> _values = new(StringComparer.Ordinal);

    /// <summary>An empty tag set.</summary>
    public TagDict() { }

    /// <summary>A tag set holding copies of <paramref name="tags"/>; every name is validated.</summary>
    public TagDict(IEnumerable<KeyValuePair<string, JsonNode?>> tags)
    {
        foreach (var (name, value) in tags)
            this[name] = value;
    }

    /// <summary>Gets or sets a tag; setting validates the name and stores a copy of the value.</summary>
    public JsonNode? this[string name]
    {
        get => _values[name];
        set
        {
            ValidateName(name);
            _values[name] = value?.DeepClone();
        }
    }

    /// <summary>The number of tags.</summary>
    public int Count => _values.Count;

    /// <summary>The tag names in insertion order.</summary>
    public IEnumerable<string> Keys => _values.Keys;

    /// <summary>The tag values in insertion order.</summary>
    public IEnumerable<JsonNode?> Values => _values.Values;

    /// <summary>Removes a tag; false when it was not there.</summary>
    public bool Remove(string name) => _values.Remove(name);

    /// <summary>Removes every tag.</summary>
    public void Clear() => _values.Clear();

    /// <inheritdoc />
    public bool ContainsKey(string key) => _values.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out JsonNode? value) => _values.TryGetValue(key, out value);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, JsonNode?>> GetEnumerator() => _values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Throws <see cref="OctueFormatException"/> unless <paramref name="name"/> is a valid tag name:
    /// <c>^[a-z0-9][a-z0-9_]*$</c>, not ending with <c>_</c>.
    /// </summary>
    public static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsValidName(name))
            throw new OctueFormatException($"tag name '{name}'",
                "tag names must match ^[a-z0-9][a-z0-9_]*$ (lower-case letters, digits and underscores, starting with a letter or digit) and must not end with '_'");
    }

    /// <summary>True when <paramref name="name"/> is a valid tag name.</summary>
    public static bool IsValidName(string name) => NamePattern().IsMatch(name) && !name.EndsWith('_');

    /// <summary>Parses a JSON object of tags, validating every name.</summary>
    /// <exception cref="OctueFormatException">Not a JSON object, or a name is invalid.</exception>
    public static TagDict Parse(string json)
    {
        var node = OctueJsonText.Parse(json, "tags");
        if (node is not JsonObject obj)
            throw new OctueFormatException("tags", "tags must be a JSON object");
        var tags = new TagDict();
        foreach (var (name, value) in obj)
            tags[name] = value;
        return tags;
    }

    /// <summary>
    /// Builds tags read from storage without rejecting names: objects written by other tools are shown as they are.
    /// <see cref="ValidateAll"/> runs before anything is written back.
    /// </summary>
    internal static TagDict FromStored(JsonObject obj)
    {
        var tags = new TagDict();
        foreach (var (name, value) in obj)
            tags._values[name] = value?.DeepClone();
        return tags;
    }

    /// <summary>Throws <see cref="OctueFormatException"/> for the first invalid name (names read from storage are not checked on read).</summary>
    public void ValidateAll()
    {
        foreach (var name in _values.Keys)
            ValidateName(name);
    }

    /// <summary>A copy as a <see cref="JsonObject"/> (insertion order kept).</summary>
    public JsonObject ToJsonObject()
    {
        var obj = new JsonObject();
        foreach (var (name, value) in _values)
            obj[name] = value?.DeepClone();
        return obj;
    }

    /// <summary>The tags as Python's <c>json.dumps</c> writes them (ASCII-escaped, <c>", "</c> and <c>": "</c> separators).</summary>
    public string ToJson() => PythonJson.Serialize(ToJsonObject());

    /// <summary>A deep copy.</summary>
    public TagDict Clone()
    {
        var copy = new TagDict();
        foreach (var (name, value) in _values)
            copy._values[name] = value?.DeepClone();
        return copy;
    }

    /// <inheritdoc />
    public bool Equals(TagDict? other) => other is not null && (ReferenceEquals(this, other) || ToJson() == other.ToJson());

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is TagDict other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToJson());

    /// <inheritdoc />
    public override string ToString() => ToJson();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9_]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
