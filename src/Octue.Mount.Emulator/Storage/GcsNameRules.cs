using System.Text;

namespace Octue.Mount.Emulator;

/// <summary>The naming rules of GCS for buckets and objects; a broken rule is reported with the rule.</summary>
internal static class GcsNameRules
{
    public const int MaxObjectNameBytes = 1024;

    /// <summary>Returns why the object name is invalid, or null when it is valid.</summary>
    public static string? CheckObjectName(string? name)
    {
        if (string.IsNullOrEmpty(name))
            return "Object name is required (1-1024 bytes of UTF-8).";
        int bytes;
        try
        {
            bytes = new UTF8Encoding(false, true).GetByteCount(name);
        }
        catch (EncoderFallbackException)
        {
            return "Object name is not valid Unicode.";
        }
        if (bytes > MaxObjectNameBytes)
            return $"Object name is {bytes} bytes of UTF-8; the limit is {MaxObjectNameBytes}.";
        if (name is "." or "..")
            return "Object names cannot be '.' or '..'.";
        if (name.Contains('\r') || name.Contains('\n'))
            return "Object name must not contain carriage return or line feed characters.";
        return null;
    }

    /// <summary>Returns why the bucket name is invalid, or null when it is valid.</summary>
    public static string? CheckBucketName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length < 3 || name.Length > 222)
            return "Bucket name must be 3-222 characters long.";
        foreach (var c in name)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.'))
                return $"Bucket name '{name}' may contain only lowercase letters, digits, '-', '_' and '.'.";
        }
        if (!char.IsAsciiLetterOrDigit(name[0]) || !char.IsAsciiLetterOrDigit(name[^1]))
            return $"Bucket name '{name}' must start and end with a letter or digit.";
        if (name.Contains(".."))
            return $"Bucket name '{name}' must not contain '..'.";
        return null;
    }
}
