namespace Octue.Mount.Octue;

/// <summary>
/// One dataset named by a manifest: either a location (<see cref="Path"/>, a gs:// URI, a path-style URL or, in
/// manifests meant for local use, a relative local path), or an explicit list of <see cref="Files"/> that may live in
/// any bucket, with the dataset's own id, name, tags and labels.
/// </summary>
public sealed record ManifestDatasetRef
{
    /// <summary>Where the dataset lives, as written in the manifest.</summary>
    public string? Path { get; init; }

    /// <summary>When set, exactly the dataset's files (gs:// URIs or path-style URLs).</summary>
    public IReadOnlyList<string>? Files { get; init; }

    /// <summary>The dataset's id, when the manifest records it.</summary>
    public string? Id { get; init; }

    /// <summary>The dataset's name, when the manifest records it.</summary>
    public string? Name { get; init; }

    /// <summary>The dataset's tags, when the manifest records them.</summary>
    public TagDict Tags { get; init; } = new();

    /// <summary>The dataset's labels, when the manifest records them.</summary>
    public LabelSet Labels { get; init; } = new();

    /// <summary>True when the dataset is in Cloud Storage (a cloud <see cref="Path"/> or a file list), not a local path.</summary>
    public bool IsCloud => Files is not null || CloudPath.IsCloudPath(Path);
}
