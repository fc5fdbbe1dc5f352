using System.Text.Json;
using System.Text.Json.Nodes;
using Octue.Mount.Octue;

namespace Octue.Mount.Vfs;

/// <summary>
/// A setxattr or removexattr of a <c>user.octue.*</c> name applied to the fields it changes (id, timestamp, tags,
/// labels), by the rules of <see cref="TagDict"/>, <see cref="LabelSet"/> and <see cref="OctueTimestamp"/>; a value
/// that breaks one is refused with an <see cref="OctueFormatException"/> naming it.
/// </summary>
internal static class OctueFieldChange
{
    /// <summary>
    /// <see cref="Apply"/> as a setxattr or removexattr answers it: <see cref="VfsError.NotSupported"/> for a name that
    /// is no Octue field, <see cref="VfsError.NoData"/> for removing a tag or label that is not there.
    /// </summary>
    public static VfsError TryApply(string name, string? value, ref string? id, ref DateTimeOffset? timestamp, TagDict tags, LabelSet labels, bool timestamps)
    {
        try
        {
            return Apply(name, value, ref id, ref timestamp, tags, labels, timestamps) ? VfsError.None : VfsError.NotSupported;
        }
        catch (KeyNotFoundException)
        {
            return VfsError.NoData;
        }
    }

    /// <summary>Applies a change to Octue fields; throws <see cref="OctueFormatException"/> naming the rule broken.</summary>
    public static bool Apply(string name, string? value, ref string? id, ref DateTimeOffset? timestamp, TagDict tags, LabelSet labels, bool timestamps)
    {
        switch (name)
        {
            case XattrNames.OctueId:
                if (value is not null && value.Trim().Length == 0)
                {
                    throw new OctueFormatException("user.octue.id", "an id must not be empty");
                }

                if (value is not null && !XattrNames.IsPlainText(value.Trim()))
                {
                    throw new OctueFormatException("user.octue.id", "an id cannot hold control characters such as line breaks");
                }

                id = value?.Trim();
                return true;
            case XattrNames.OctueTimestamp when timestamps:
                if (value is null || value.Trim().Length == 0)
                {
                    timestamp = null;
                }
                else if (OctueTimestamp.FromDateText(value) is { } parsed)
                {
                    timestamp = parsed;
                }
                else
                {
                    throw new OctueFormatException("user.octue.timestamp", "the value must be an ISO 8601 date and time such as 2021-03-08T19:39:21.123456+00:00");
                }

                return true;
            case XattrNames.OctueTags:
                var parsedTags = value is null ? new TagDict() : TagDict.Parse(value);
                parsedTags.ValidateAll();
                tags.Clear();
                foreach (var (tag, tagValue) in parsedTags)
                {
                    tags[tag] = tagValue;
                }

                return true;
            case XattrNames.OctueLabels:
                var parsedLabels = value is null || value.Trim().Length == 0 ? new LabelSet() : LabelSet.Parse(value);
                labels.Clear();
                foreach (var label in parsedLabels)
                {
                    labels.Add(label);
                }

                return true;
        }

        if (name.StartsWith(XattrNames.OctueTagPrefix, StringComparison.Ordinal))
        {
            var tag = name[XattrNames.OctueTagPrefix.Length..];
            TagDict.ValidateName(tag);
            if (value is null)
            {
                if (!tags.Remove(tag))
                {
                    throw new KeyNotFoundException(tag);
                }

                return true;
            }

            tags[tag] = ParseTagValue(tag, value);
            return true;
        }

        return false;
    }

    /// <summary>
    /// A tag value is JSON (<c>30</c>, <c>true</c>, <c>"north"</c>, <c>{"a": [1, 2]}</c>). Because setfattr strips the
    /// double quotes of <c>-v "north"</c>, text that is not JSON and does not try to be (no leading <c>{</c>, <c>[</c> or
    /// <c>"</c>) is taken as a JSON string; malformed JSON is refused.
    /// </summary>
    private static JsonNode? ParseTagValue(string tag, string value)
    {
        try
        {
            return JsonNode.Parse(value);
        }
        catch (JsonException e)
        {
            var trimmed = value.TrimStart();
            if (trimmed.Length == 0 || trimmed[0] is '{' or '[' or '"')
            {
                throw new OctueFormatException($"value of tag '{tag}'", "a tag value must be JSON, such as 30, true, \"north\" or {\"a\": [1, 2]}", e);
            }

            return JsonValue.Create(value);
        }
    }
}
