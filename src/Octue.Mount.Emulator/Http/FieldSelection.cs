namespace Octue.Mount.Emulator;

/// <summary>
/// The <c>fields</c> query parameter (a partial response): which fields of a resource the reply carries. The syntax is
/// Cloud Storage's: names separated by commas, <c>a(b,c)</c> for the fields of a nested resource or of each element of
/// an array of resources, <c>a/b</c> for <c>a(b)</c>, and <c>*</c> for every field. A selected field that is an object
/// or an array without a sub-selection is returned whole (<c>metadata</c> with all its keys). Without the parameter
/// everything is returned (<see cref="All"/>); a selection that cannot be parsed is a 400, as Cloud Storage answers it.
/// </summary>
internal sealed class FieldSelection
{
    /// <summary>Every field, at every depth.</summary>
    public static readonly FieldSelection All = new(null);

    /// <summary>Selected names and their sub-selections (<see cref="All"/> when the name was selected without one); null: all.</summary>
    private readonly Dictionary<string, FieldSelection>? _fields;

    private FieldSelection(Dictionary<string, FieldSelection>? fields) => _fields = fields;

    /// <summary>Whether the reply carries <paramref name="name"/> at this level.</summary>
    public bool Has(string name) => _fields is null || _fields.ContainsKey(name);

    /// <summary>The selection inside <paramref name="name"/> (of each element, for an array).</summary>
    public FieldSelection Inside(string name) =>
        _fields is null ? All : _fields.TryGetValue(name, out var inner) ? inner : All;

    /// <summary>Parses a <c>fields</c> parameter; null or empty selects everything.</summary>
    public static FieldSelection Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return All;
        var position = 0;
        var selection = ParseList(text, ref position, nested: false);
        if (position != text.Length)
            throw Invalid(text);
        return selection;
    }

    private static FieldSelection ParseList(string text, ref int position, bool nested)
    {
        var fields = new Dictionary<string, FieldSelection>(StringComparer.Ordinal);
        var all = false;
        while (true)
        {
            var (name, inner) = ParseField(text, ref position);
            if (name == "*")
                all = true;
            else
                fields[name] = fields.TryGetValue(name, out var earlier) ? Merge(earlier, inner) : inner;
            if (position < text.Length && text[position] == ',')
            {
                position++;
                continue;
            }
            if (position < text.Length && text[position] == ')' && !nested)
                throw Invalid(text);
            return all ? All : new FieldSelection(fields);
        }
    }

    /// <summary>
    /// One selected name and what is selected inside it: <c>name</c> (all of it), <c>name(list)</c>, or
    /// <c>name/rest</c>, which is <c>name(rest)</c> for a path of one name at each level.
    /// </summary>
    private static (string Name, FieldSelection Inner) ParseField(string text, ref int position)
    {
        var start = position;
        while (position < text.Length && text[position] is not (',' or '(' or ')' or '/'))
            position++;
        var name = text[start..position].Trim();
        if (name.Length == 0)
            throw Invalid(text);
        if (position < text.Length && text[position] == '(')
        {
            position++;
            var inner = ParseList(text, ref position, nested: true);
            if (position >= text.Length || text[position] != ')')
                throw Invalid(text);
            position++;
            return (name, inner);
        }
        if (position < text.Length && text[position] == '/')
        {
            position++;
            var (child, childInner) = ParseField(text, ref position);
            return (name, child == "*" ? All : new FieldSelection(new Dictionary<string, FieldSelection>(StringComparer.Ordinal) { [child] = childInner }));
        }
        return (name, All);
    }

    private static FieldSelection Merge(FieldSelection a, FieldSelection b)
    {
        if (a._fields is null || b._fields is null)
            return All;
        var merged = new Dictionary<string, FieldSelection>(a._fields, StringComparer.Ordinal);
        foreach (var (name, inner) in b._fields)
            merged[name] = merged.TryGetValue(name, out var earlier) ? Merge(earlier, inner) : inner;
        return new FieldSelection(merged);
    }

    private static GcsException Invalid(string text) => GcsException.BadRequest($"Invalid field selection '{text}'.");
}
