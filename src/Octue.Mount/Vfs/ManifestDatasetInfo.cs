namespace Octue.Mount.Vfs;

/// <summary>A dataset named by the mounted manifest: its key, and where its files are (a prefix or a file list).</summary>
internal sealed record ManifestDatasetInfo(string Key, string? Bucket, string? Prefix, IReadOnlyList<string>? Files);
