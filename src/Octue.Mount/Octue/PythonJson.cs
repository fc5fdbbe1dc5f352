using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Octue.Mount.Octue;

/// <summary>
/// Writes JSON exactly as Python's <c>json.dumps</c> does with its defaults (<c>ensure_ascii=True</c>, separators
/// <c>", "</c> and <c>": "</c>), optionally with <c>indent</c> and <c>sort_keys</c>. The Python Octue SDK writes
/// metadata that way, and byte-identical output keeps objects written here indistinguishable from its own.
/// Integers and floats stay distinct: a number written as <c>1</c> stays <c>1</c>, one written as <c>1.0</c> stays
/// <c>1.0</c>, and floats use Python's shortest <c>repr</c>.
/// </summary>
public static class PythonJson
{
    /// <summary>Serialises <paramref name="node"/> as <c>json.dumps(node, sort_keys=sortKeys, indent=indent)</c> would.</summary>
    public static string Serialize(JsonNode? node, bool sortKeys = false, int? indent = null)
    {
        var builder = new StringBuilder();
        Write(builder, node, sortKeys, indent, 0);
        return builder.ToString();
    }

    /// <summary>A JSON string literal as Python writes it (ASCII only; <c>\uXXXX</c> escapes in lower-case hex).</summary>
    public static string Quote(string value)
    {
        var builder = new StringBuilder(value.Length + 2);
        WriteString(builder, value);
        return builder.ToString();
    }

    /// <summary>True when the number is an integer in Python's eyes (its JSON text has no fraction or exponent).</summary>
    public static bool IsInteger(JsonValue value)
    {
        if (value.TryGetValue<JsonElement>(out var element))
            return element.ValueKind == JsonValueKind.Number && IsIntegerText(element.GetRawText());
        return value.TryGetValue<int>(out _) || value.TryGetValue<long>(out _) || value.TryGetValue<short>(out _)
            || value.TryGetValue<byte>(out _) || value.TryGetValue<sbyte>(out _) || value.TryGetValue<ushort>(out _)
            || value.TryGetValue<uint>(out _) || value.TryGetValue<ulong>(out _) || value.TryGetValue<BigInteger>(out _);
    }

    private static bool IsIntegerText(string text) => text.AsSpan().IndexOfAny('.', 'e', 'E') < 0;

    private static void Write(StringBuilder builder, JsonNode? node, bool sortKeys, int? indent, int depth)
    {
        switch (node)
        {
            case null:
                builder.Append("null");
                return;
            case JsonObject obj:
                WriteObject(builder, obj, sortKeys, indent, depth);
                return;
            case JsonArray array:
                WriteArray(builder, array, sortKeys, indent, depth);
                return;
            case JsonValue value:
                WriteValue(builder, value, sortKeys, indent, depth);
                return;
        }
    }

    private static void WriteObject(StringBuilder builder, JsonObject obj, bool sortKeys, int? indent, int depth)
    {
        if (obj.Count == 0)
        {
            builder.Append("{}");
            return;
        }
        IEnumerable<KeyValuePair<string, JsonNode?>> members = obj;
        if (sortKeys)
        {
            var sorted = obj.ToList();
            sorted.Sort((a, b) => CompareCodePoints(a.Key, b.Key));
            members = sorted;
        }
        builder.Append('{');
        var first = true;
        foreach (var (key, child) in members)
        {
            WriteSeparator(builder, indent, depth + 1, first);
            first = false;
            WriteString(builder, key);
            builder.Append(": ");
            Write(builder, child, sortKeys, indent, depth + 1);
        }
        WriteClosingIndent(builder, indent, depth);
        builder.Append('}');
    }

    private static void WriteArray(StringBuilder builder, JsonArray array, bool sortKeys, int? indent, int depth)
    {
        if (array.Count == 0)
        {
            builder.Append("[]");
            return;
        }
        builder.Append('[');
        for (var i = 0; i < array.Count; i++)
        {
            WriteSeparator(builder, indent, depth + 1, i == 0);
            Write(builder, array[i], sortKeys, indent, depth + 1);
        }
        WriteClosingIndent(builder, indent, depth);
        builder.Append(']');
    }

    // Python uses ", " between items without indent, and "," followed by a newline with it.
    private static void WriteSeparator(StringBuilder builder, int? indent, int depth, bool first)
    {
        if (indent is null)
        {
            if (!first) builder.Append(", ");
            return;
        }
        if (!first) builder.Append(',');
        builder.Append('\n').Append(' ', indent.Value * depth);
    }

    private static void WriteClosingIndent(StringBuilder builder, int? indent, int depth)
    {
        if (indent is not null)
            builder.Append('\n').Append(' ', indent.Value * depth);
    }

    private static void WriteValue(StringBuilder builder, JsonValue value, bool sortKeys, int? indent, int depth)
    {
        if (value.TryGetValue<JsonElement>(out var element))
        {
            WriteElement(builder, element, sortKeys, indent, depth);
            return;
        }
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                WriteString(builder, value.TryGetValue<string>(out var text) ? text : JsonSerializer.Deserialize<string>(value.ToJsonString())!);
                return;
            case JsonValueKind.True:
                builder.Append("true");
                return;
            case JsonValueKind.False:
                builder.Append("false");
                return;
            case JsonValueKind.Null:
                builder.Append("null");
                return;
            case JsonValueKind.Number:
                WriteClrNumber(builder, value);
                return;
            default:
                // A CLR value serialising to an object or array: write its JSON form through a parsed copy.
                Write(builder, JsonNode.Parse(value.ToJsonString()), sortKeys, indent, depth);
                return;
        }
    }

    private static void WriteClrNumber(StringBuilder builder, JsonValue value)
    {
        if (value.TryGetValue<double>(out var d)) { builder.Append(FormatFloat(d)); return; }
        if (value.TryGetValue<float>(out var f)) { builder.Append(FormatFloat(double.Parse(f.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture))); return; }
        if (value.TryGetValue<decimal>(out var m)) { builder.Append(FormatFloat((double)m)); return; }
        if (value.TryGetValue<Half>(out var h)) { builder.Append(FormatFloat((double)h)); return; }
        // Every integer type: its invariant text is already what Python writes.
        builder.Append(FormatInteger(value.ToJsonString()));
    }

    private static void WriteElement(StringBuilder builder, JsonElement element, bool sortKeys, int? indent, int depth)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
            case JsonValueKind.Array:
                Write(builder, JsonNode.Parse(element.GetRawText()), sortKeys, indent, depth);
                return;
            case JsonValueKind.String:
                WriteString(builder, element.GetString()!);
                return;
            case JsonValueKind.Number:
                var raw = element.GetRawText();
                builder.Append(IsIntegerText(raw) ? FormatInteger(raw) : FormatFloat(double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture)));
                return;
            case JsonValueKind.True:
                builder.Append("true");
                return;
            case JsonValueKind.False:
                builder.Append("false");
                return;
            default:
                builder.Append("null");
                return;
        }
    }

    private static string FormatInteger(string text) =>
        BigInteger.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);

    /// <summary>Python's <c>repr(float)</c>: shortest round-trip digits, fixed notation for 1e-4 &lt;= |x| &lt; 1e16.</summary>
    public static string FormatFloat(double value)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsPositiveInfinity(value)) return "Infinity";
        if (double.IsNegativeInfinity(value)) return "-Infinity";
        var negative = value < 0 || (value == 0 && double.IsNegative(value));
        var sign = negative ? "-" : "";
        if (value == 0) return sign + "0.0";

        var (digits, pointPosition) = ShortestDigits(Math.Abs(value));
        string body;
        if (pointPosition > -4 && pointPosition <= 16)
        {
            if (pointPosition <= 0)
                body = "0." + new string('0', -pointPosition) + digits;
            else if (pointPosition >= digits.Length)
                body = digits + new string('0', pointPosition - digits.Length) + ".0";
            else
                body = digits[..pointPosition] + "." + digits[pointPosition..];
        }
        else
        {
            var exponent = pointPosition - 1;
            var mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            body = mantissa + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        }
        return sign + body;
    }

    // Returns the significant digits (no leading/trailing zeros) and the position of the decimal point, so that
    // value = 0.DIGITS x 10^pointPosition.
    private static (string Digits, int PointPosition) ShortestDigits(double positive)
    {
        // "R" gives the shortest round-trip form; normalise it to digits and exponent.
        var text = positive.ToString("R", CultureInfo.InvariantCulture);
        int exponent = 0;
        var e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }
        var dot = text.IndexOf('.');
        var integerPart = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? "" : text[(dot + 1)..];
        var all = integerPart + fraction;
        var pointPosition = integerPart.Length + exponent;
        var leading = 0;
        while (leading < all.Length - 1 && all[leading] == '0') leading++;
        all = all[leading..];
        pointPosition -= leading;
        return (all.TrimEnd('0'), pointPosition);
    }

    private static void WriteString(StringBuilder builder, string value)
    {
        builder.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                default:
                    if (c < ' ' || c > '~')
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else
                        builder.Append(c);
                    break;
            }
        }
        builder.Append('"');
    }

    /// <summary>Compares by Unicode code point, as Python sorts strings.</summary>
    public static int CompareCodePoints(string a, string b)
    {
        var ea = a.EnumerateRunes();
        var eb = b.EnumerateRunes();
        while (true)
        {
            var hasA = ea.MoveNext();
            var hasB = eb.MoveNext();
            if (!hasA || !hasB) return hasA ? 1 : hasB ? -1 : 0;
            var diff = ea.Current.Value - eb.Current.Value;
            if (diff != 0) return diff;
        }
    }
}
