using System.Text;
using Octue.Mount.Octue;

namespace Octue.Mount.Vfs;

/// <summary>
/// The extended attribute names of DESIGN.md's table, and the rule for the names built from bucket content (tag names,
/// custom metadata keys): whoever can write the bucket chooses them, so they are shown only when they cannot become
/// another name. A NUL ends a name in listxattr's list, so a tag <c>x\0security.capability</c> would list
/// <c>security.capability</c>; control characters, unpaired surrogates and names over 255 bytes are not shown either.
/// </summary>
internal static class XattrNames
{
    /// <summary>Longest extended attribute name Linux takes (XATTR_NAME_MAX): a longer one could be listed but never read.</summary>
    public const int MaxNameBytes = 255;

    public const string OctueId = "user.octue.id";
    public const string OctueTimestamp = "user.octue.timestamp";
    public const string OctueTags = "user.octue.tags";
    public const string OctueTagPrefix = "user.octue.tags.";
    public const string OctueLabels = "user.octue.labels";
    public const string OctueName = "user.octue.name";
    public const string OctueIntegrity = "user.octue.integrity";

    public const string GcsUri = "user.gcs.uri";
    public const string GcsGeneration = "user.gcs.generation";
    public const string GcsMetageneration = "user.gcs.metageneration";
    public const string GcsCrc32c = "user.gcs.crc32c";
    public const string GcsMd5 = "user.gcs.md5";
    public const string GcsSize = "user.gcs.size";
    public const string GcsUpdated = "user.gcs.updated";
    public const string GcsStorageClass = "user.gcs.storage_class";
    public const string GcsContentType = "user.gcs.content_type";
    public const string GcsMetaPrefix = "user.gcs.meta.";

    /// <summary>Names that describe the stored object and cannot be written (EPERM).</summary>
    public static bool IsReadOnly(string name) => name is GcsUri or GcsGeneration or GcsMetageneration or GcsCrc32c or GcsMd5
        or GcsSize or GcsUpdated or GcsStorageClass or OctueIntegrity;

    /// <summary>The name a stored tag is shown under; null when the tag's name is not a valid Octue tag name or too long.</summary>
    public static string? ForTag(string tag) =>
        TagDict.IsValidName(tag) && OctueTagPrefix.Length + tag.Length <= MaxNameBytes ? OctueTagPrefix + tag : null;

    /// <summary>
    /// The name a custom metadata key is shown under (<c>user.gcs.meta.KEY</c>); null when the key is empty, holds a
    /// control character or an unpaired surrogate, or makes a name over 255 bytes.
    /// </summary>
    public static string? ForMetadataKey(string key) =>
        key.Length > 0 && IsPlainText(key) && Encoding.UTF8.GetByteCount(key) <= MaxNameBytes - GcsMetaPrefix.Length ? GcsMetaPrefix + key : null;

    /// <summary>
    /// True when <paramref name="text"/> has no control character (C0, DEL, C1: line breaks and NUL among them) and no
    /// unpaired surrogate: what a name, and a value that travels as an HTTP header (content type, custom metadata in
    /// the XML API), may hold.
    /// </summary>
    public static bool IsPlainText(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c))
            {
                return false;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A name or value as it may appear in a log line: control characters and unpaired surrogates as \uXXXX.</summary>
    public static string Printable(string text)
    {
        if (IsPlainText(text))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (char.IsControl(c) || char.IsSurrogate(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
