using Octue.Mount.Octue;

namespace Octue.Mount.Vfs;

/// <summary>
/// A dataset named by the mounted manifest: its key, the manifest's description of it, and what it projects once
/// it has been looked into. Reading the manifest costs no request per dataset: a dataset's metadata file, its bucket
/// and its files list are read on the first use of its folder, once for the mount (every node of the dataset shares
/// this object through the manifest root's fixed listing).
/// </summary>
internal sealed class ManifestDatasetInfo(string key, ManifestDatasetRef reference)
{
    private readonly Lock _gate = new();
    private Task<DatasetProjection>? _projection;

    /// <summary>The dataset's name in the manifest (the folder's name).</summary>
    public string Key { get; } = key;

    /// <summary>The dataset as the manifest describes it.</summary>
    public ManifestDatasetRef Reference { get; } = reference;

    /// <summary>The dataset as its folder shows it: its own metadata file's description when it has one, else the manifest's.</summary>
    public ManifestDatasetRef Description =>
        _projection is { IsCompletedSuccessfully: true } done ? done.Result.Description : Reference;

    /// <summary>
    /// The dataset's projection, worked out by <paramref name="project"/> on the first call and shared by every later
    /// one. A failure that may pass (a network error) is not kept: the next use tries again.
    /// </summary>
    public Task<DatasetProjection> ProjectAsync(Func<Task<DatasetProjection>> project)
    {
        lock (_gate)
        {
            if (_projection is null || _projection.IsFaulted || _projection.IsCanceled)
            {
                _projection = project();
            }

            return _projection;
        }
    }
}

/// <summary>
/// What a manifest's dataset folder shows: a bucket prefix (<see cref="DirectoryRole.Prefix"/>) or a files list
/// (<see cref="DirectoryRole.FileList"/>, also the answer for a dataset that cannot be reached: an empty folder).
/// </summary>
internal sealed record DatasetProjection(DirectoryRole Role, string Bucket, string Prefix, FileListFolder? Folder, ManifestDatasetRef Description);
