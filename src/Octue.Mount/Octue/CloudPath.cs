namespace Octue.Mount.Octue;

/// <summary>
/// A location in Cloud Storage: a bucket and an object path (or prefix). Parses <c>gs://bucket/path</c> and
/// path-style URLs <c>https://storage.googleapis.com/bucket/object</c> (the query string is ignored). Paths are
/// normalised as the Python SDK joins them: repeated <c>/</c>, <c>.</c> and <c>..</c> are resolved, a leading and a
/// trailing <c>/</c> are dropped. <c>gs://b/</c> is bucket <c>b</c> with the empty path.
/// </summary>
/// <param name="Bucket">The bucket name.</param>
/// <param name="Path">The normalised object path inside the bucket ("" for the bucket's root).</param>
public readonly record struct CloudPath(string Bucket, string Path)
{
    private const string GsScheme = "gs://";
    private const string PathStyleHost = "storage.googleapis.com";

    /// <summary>Builds a path from a bucket and path segments, normalising the joined path.</summary>
    /// <exception cref="OctueFormatException">The bucket name is empty or holds <c>/</c>, or the path climbs above the bucket.</exception>
    public static CloudPath Create(string bucket, params string[] segments)
    {
        ValidateBucket(bucket);
        return new CloudPath(bucket, Normalise(string.Join('/', segments)));
    }

    /// <summary>Parses <c>gs://bucket/path</c> or <c>https://storage.googleapis.com/bucket/object</c>.</summary>
    /// <exception cref="OctueFormatException">The text is neither form.</exception>
    public static CloudPath Parse(string uri)
    {
        if (TryParse(uri, out var path, out var problem))
            return path;
        throw new OctueFormatException($"cloud path '{uri}'", problem!);
    }

    /// <summary>Parses without throwing.</summary>
    public static bool TryParse(string? uri, out CloudPath path) => TryParse(uri, out path, out _);

    /// <summary>True when <paramref name="text"/> looks like a cloud location (<c>gs://</c> or a path-style URL).</summary>
    public static bool IsCloudPath(string? text) =>
        text is not null && (text.StartsWith(GsScheme, StringComparison.Ordinal) || IsPathStyleUrl(text));

    private static bool IsPathStyleUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var url)
        && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
        && string.Equals(url.Host, PathStyleHost, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses without throwing; <paramref name="problem"/> says why the text is not a cloud path.</summary>
    internal static bool TryParse(string? uri, out CloudPath path, out string? problem)
    {
        path = default;
        if (string.IsNullOrWhiteSpace(uri))
        {
            problem = "a cloud path must look like gs://bucket/path";
            return false;
        }
        string rest;
        if (uri.StartsWith(GsScheme, StringComparison.Ordinal))
        {
            rest = uri[GsScheme.Length..];
        }
        else if (IsPathStyleUrl(uri))
        {
            var url = new Uri(uri);
            rest = Uri.UnescapeDataString(url.AbsolutePath.TrimStart('/'));
        }
        else
        {
            problem = "a cloud path must look like gs://bucket/path or https://storage.googleapis.com/bucket/object";
            return false;
        }
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var objectPath = slash < 0 ? "" : rest[(slash + 1)..];
        if (bucket.Length == 0)
        {
            problem = "the bucket name is missing";
            return false;
        }
        if (!TryNormalise(objectPath, out var normalised))
        {
            problem = "the path climbs above the bucket with '..'";
            return false;
        }
        path = new CloudPath(bucket, normalised);
        problem = null;
        return true;
    }

    /// <summary>This path joined with more segments (normalised).</summary>
    public CloudPath Join(params string[] segments) =>
        new(Bucket, Normalise(Path + "/" + string.Join('/', segments)));

    /// <summary>The parent path (the bucket root's parent is the root itself).</summary>
    public CloudPath Parent
    {
        get
        {
            var slash = Path.LastIndexOf('/');
            return new CloudPath(Bucket, slash < 0 ? "" : Path[..slash]);
        }
    }

    /// <summary>The last segment of the path ("" at the bucket root).</summary>
    public string Name
    {
        get
        {
            var slash = Path.LastIndexOf('/');
            return slash < 0 ? Path : Path[(slash + 1)..];
        }
    }

    /// <summary><c>gs://bucket/path</c> (just <c>gs://bucket</c> for the root).</summary>
    public override string ToString() => Path.Length == 0 ? GsScheme + Bucket : GsScheme + Bucket + "/" + Path;

    /// <summary>Normalises an object path: resolves <c>//</c>, <c>.</c> and <c>..</c> and drops leading and trailing <c>/</c>.</summary>
    /// <exception cref="OctueFormatException">The path climbs above the bucket.</exception>
    public static string Normalise(string path)
    {
        if (TryNormalise(path, out var normalised))
            return normalised;
        throw new OctueFormatException($"path '{path}'", "the path climbs above the bucket with '..'");
    }

    internal static bool TryNormalise(string path, out string normalised)
    {
        var segments = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == ".") continue;
            if (segment == "..")
            {
                if (segments.Count == 0)
                {
                    normalised = "";
                    return false;
                }
                segments.RemoveAt(segments.Count - 1);
                continue;
            }
            segments.Add(segment);
        }
        normalised = string.Join('/', segments);
        return true;
    }

    private static void ValidateBucket(string bucket)
    {
        if (string.IsNullOrEmpty(bucket) || bucket.Contains('/'))
            throw new OctueFormatException($"bucket name '{bucket}'", "a bucket name must be non-empty and must not contain '/'");
    }
}
