using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Octue.Mount.Octue;

/// <summary>
/// Timestamps as the Python SDK writes them (<c>{"_type": "datetime", "value": "2021-03-08T19:39:21.123456+00:00"}</c>)
/// and as older versions wrote them (posix seconds as a float, or the text of a Python datetime). Naive times are UTC.
/// Precision is the microsecond, Python's.
/// </summary>
public static class OctueTimestamp
{
    /// <summary>The ISO 8601 text Python's <c>datetime.isoformat()</c> gives for a UTC time (microseconds only when non-zero).</summary>
    public static string ToIsoString(DateTimeOffset timestamp)
    {
        var utc = TruncateToMicroseconds(timestamp.ToUniversalTime());
        var micros = (utc.Ticks % TimeSpan.TicksPerSecond) / 10;
        var text = utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        if (micros != 0) text += "." + micros.ToString("000000", CultureInfo.InvariantCulture);
        return text + "+00:00";
    }

    /// <summary>Drops sub-microsecond ticks (Python's datetime has microsecond precision).</summary>
    public static DateTimeOffset TruncateToMicroseconds(DateTimeOffset timestamp) =>
        new(timestamp.Ticks - timestamp.Ticks % 10, timestamp.Offset);

    /// <summary>The stored form: <c>{"_type": "datetime", "value": "…+00:00"}</c>, or null.</summary>
    public static JsonNode? ToNode(DateTimeOffset? timestamp) =>
        timestamp is null ? null : new JsonObject { ["_type"] = "datetime", ["value"] = ToIsoString(timestamp.Value) };

    /// <summary>Reads any stored form; null when there is none or it cannot be understood.</summary>
    public static DateTimeOffset? FromNode(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj when obj["value"] is JsonValue inner:
                return FromNode(inner);
            case JsonValue value:
                var kind = value.GetValueKind();
                if (kind == JsonValueKind.Number && value.TryGetValue<decimal>(out var seconds))
                    return FromPosixSeconds(seconds);
                if (kind == JsonValueKind.Number && value.TryGetValue<double>(out var secondsDouble))
                    return FromPosixSeconds((decimal)secondsDouble);
                if (kind == JsonValueKind.String)
                    return FromText(value.GetValue<string>());
                return null;
            default:
                return null;
        }
    }

    /// <summary>Reads posix seconds or an ISO 8601 / Python <c>str(datetime)</c> text; naive times are UTC. Null when not understood.</summary>
    public static DateTimeOffset? FromText(string text)
    {
        var trimmed = text.Trim();
        if (decimal.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            return FromPosixSeconds(seconds);
        return FromDateText(trimmed);
    }

    /// <summary>
    /// Reads an ISO 8601 / Python <c>str(datetime)</c> text only (no posix seconds: what a person types as a date);
    /// naive times are UTC. Null when not understood.
    /// </summary>
    public static DateTimeOffset? FromDateText(string text) =>
        DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? TruncateToMicroseconds(parsed)
            : null;

    private static DateTimeOffset? FromPosixSeconds(decimal seconds)
    {
        var micros = decimal.Round(seconds * 1_000_000m, MidpointRounding.ToEven);
        var ticks = micros * 10m;
        var min = (decimal)(DateTimeOffset.MinValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks);
        var max = (decimal)(DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks);
        if (ticks < min || ticks > max) return null;
        return DateTimeOffset.UnixEpoch.AddTicks((long)ticks);
    }
}
