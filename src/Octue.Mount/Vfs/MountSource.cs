namespace Octue.Mount.Vfs;

/// <summary>What a mount shows: a bucket (or a prefix of one), an Octue manifest object, or every bucket of a project.</summary>
public enum MountSourceKind
{
    /// <summary><c>gs://bucket[/prefix]</c>: the bucket's objects (under the prefix) as files and directories.</summary>
    Bucket,
    /// <summary><c>gs://bucket/path/manifest.json</c>: one directory per dataset of the manifest.</summary>
    Manifest,
    /// <summary>No bucket and a project: every bucket of the project is a top-level directory.</summary>
    Project,
}

/// <summary>
/// A parsed mount source. Accepted forms: <c>gs://bucket</c>, <c>gs://bucket/prefix/</c>, <c>bucket</c>,
/// <c>bucket/prefix</c>, <c>https://storage.googleapis.com/bucket/prefix</c>, a <c>.json</c> object
/// (<c>gs://bucket/path/manifest.json</c>) for a manifest, and an empty source (or <c>gs://</c>) with a project.
/// </summary>
public sealed record MountSource
{
    /// <summary>A bucket (or prefix), a manifest, or a project's buckets.</summary>
    public required MountSourceKind Kind { get; init; }

    /// <summary>The bucket (Bucket and Manifest kinds).</summary>
    public string? Bucket { get; init; }

    /// <summary>For a bucket mount: the sub-tree shown, "" for the whole bucket, else ending with "/".</summary>
    public string Prefix { get; init; } = "";

    /// <summary>For a manifest mount: the manifest object's name.</summary>
    public string? ObjectName { get; init; }

    /// <summary>The project (Project kind; informational for the others).</summary>
    public string? Project { get; init; }

    private const string GsScheme = "gs://";
    private const string HttpsStorageHost = "https://storage.googleapis.com/";

    /// <summary>Parses a mount source; throws <see cref="FormatException"/> naming the problem.</summary>
    public static MountSource Parse(string? source, string? project)
    {
        var text = source?.Trim() ?? "";
        if (text.Length == 0 || text == GsScheme)
        {
            if (string.IsNullOrWhiteSpace(project))
            {
                throw new FormatException("No source: give gs://BUCKET[/PREFIX], gs://BUCKET/PATH/MANIFEST.json, or --project PROJECT to mount every bucket of a project.");
            }

            return new MountSource { Kind = MountSourceKind.Project, Project = project.Trim() };
        }

        string rest;
        if (text.StartsWith(GsScheme, StringComparison.OrdinalIgnoreCase))
        {
            rest = text[GsScheme.Length..];
        }
        else if (text.StartsWith(HttpsStorageHost, StringComparison.OrdinalIgnoreCase))
        {
            rest = text[HttpsStorageHost.Length..];
            var query = rest.IndexOf('?');
            if (query >= 0)
            {
                rest = rest[..query];
            }

            rest = Uri.UnescapeDataString(rest);
        }
        else if (text.Contains("://", StringComparison.Ordinal))
        {
            throw new FormatException($"Unsupported source '{Printable(text)}': only gs://BUCKET[/PATH] (or https://storage.googleapis.com/BUCKET/PATH) can be mounted.");
        }
        else if (text[0] is '/' or '.' or '~' || text.Contains('\\'))
        {
            throw new FormatException($"'{Printable(text)}' is a local path, not a bucket: {SourceForms}.");
        }
        else
        {
            rest = text;
        }

        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var path = slash < 0 ? "" : rest[(slash + 1)..];
        try
        {
            ValidateBucketName(bucket, Printable(text));
        }
        catch (FormatException e) when (ReferenceEquals(rest, text))
        {
            throw new FormatException($"'{Printable(text)}' is not a bucket or a gs:// source ({e.Message}): {SourceForms}.", e);
        }

        ValidateObjectPath(path, text);

        path = path.TrimStart('/');
        if (path.Length > 0 && !path.EndsWith('/') && path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return new MountSource { Kind = MountSourceKind.Manifest, Bucket = bucket, ObjectName = path, Project = project };
        }

        var prefix = path.TrimEnd('/');
        foreach (var segment in prefix.Split('/'))
        {
            if (prefix.Length > 0 && (segment.Length == 0 || segment == "." || segment == ".."))
            {
                throw new FormatException($"Invalid prefix in '{text}': empty, '.' and '..' path segments cannot be mounted.");
            }
        }

        return new MountSource
        {
            Kind = MountSourceKind.Bucket,
            Bucket = bucket,
            Prefix = prefix.Length == 0 ? "" : prefix + "/",
            Project = project,
        };
    }

    private const string SourceForms = "give gs://BUCKET[/PREFIX], gs://BUCKET/PATH/MANIFEST.json or https://storage.googleapis.com/BUCKET/PATH";

    /// <summary>The most bytes (UTF-8) an object name may have.</summary>
    private const int MaxObjectNameBytes = 1024;

    /// <summary>
    /// Checks the object path of a source (a prefix or a manifest's name) against what Cloud Storage accepts in an
    /// object name: at most 1,024 bytes of UTF-8, no NUL, no line break, and (as Cloud Storage advises) no other
    /// control character. A percent-escaped URL is checked after decoding, so <c>%00</c> is refused like a NUL.
    /// </summary>
    private static void ValidateObjectPath(string path, string source)
    {
        foreach (var c in path)
        {
            if (char.IsControl(c))
            {
                throw new FormatException($"Invalid object path in '{Printable(source)}': it holds the control character U+{(int)c:X4}, which object names cannot hold.");
            }
        }

        if (System.Text.Encoding.UTF8.GetByteCount(path) > MaxObjectNameBytes)
        {
            throw new FormatException($"Invalid object path in '{Printable(source)}': it is longer than the {MaxObjectNameBytes} bytes an object name may have.");
        }
    }

    /// <summary>The text with control characters shown as <c>\uXXXX</c>, so a message never carries a NUL or a line break.</summary>
    private static string Printable(string text) => PrintableText.Escape(text);

    /// <summary>Checks a bucket name against GCS's naming rules (3–222 characters, lower-case letters, digits, '-', '_', '.').</summary>
    internal static void ValidateBucketName(string bucket, string source)
    {
        if (bucket.Length < 3 || bucket.Length > 222)
        {
            throw new FormatException($"Invalid bucket name '{bucket}' in '{source}': bucket names have 3 to 222 characters.");
        }

        foreach (var c in bucket)
        {
            if (!(c is >= 'a' and <= 'z' || c is >= '0' and <= '9' || c is '-' or '_' or '.'))
            {
                throw new FormatException($"Invalid bucket name '{bucket}' in '{source}': only lower-case letters, digits, '-', '_' and '.' are allowed.");
            }
        }

        if (!char.IsAsciiLetterOrDigit(bucket[0]) || !char.IsAsciiLetterOrDigit(bucket[^1]))
        {
            throw new FormatException($"Invalid bucket name '{bucket}' in '{source}': a bucket name starts and ends with a letter or digit.");
        }
    }

    /// <summary>The source as a user would write it (<c>gs://bucket/prefix</c>, <c>project NAME</c>), for logs and messages.</summary>
    public override string ToString() => Kind switch
    {
        MountSourceKind.Project => $"project {Project}",
        MountSourceKind.Manifest => $"gs://{Bucket}/{ObjectName}",
        _ => $"gs://{Bucket}/{Prefix}",
    };
}
