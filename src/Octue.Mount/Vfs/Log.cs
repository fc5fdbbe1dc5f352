using Microsoft.Extensions.Logging;
using Octue.Mount.Octue;

namespace Octue.Mount.Vfs;

/// <summary>Log messages of the file system that are not one-off.</summary>
internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Dataset file gs://{Bucket}/{Name} listed by the manifest does not exist; it is not shown")]
    public static partial void MissingDatasetFile(ILogger logger, string bucket, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dataset file gs://{Bucket}/{Name} is not shown: {Shown}, another file of the dataset, is shown at its path")]
    public static partial void DuplicateDatasetFile(ILogger logger, string bucket, string name, string shown);

    /// <summary>
    /// A manifest's dataset whose location is not a cloud location: a local path (kept by the SDK, not mountable), or a
    /// gs:// URI that is not valid (such as <c>gs://b/data/../../etc</c>, which climbs above its bucket), said as such.
    /// </summary>
    public static void DatasetNotInCloud(ILogger logger, string key, string manifest, string? path)
    {
        if (CloudPath.IsCloudPath(path) && !CloudPath.TryParse(path, out _, out var problem))
        {
            InvalidDatasetLocation(logger, key, manifest, path!, problem!);
        }
        else
        {
            LocalDatasetPath(logger, key, manifest, path);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dataset '{Key}' of {Manifest} is not shown: its location '{Path}' is not valid ({Problem})")]
    private static partial void InvalidDatasetLocation(ILogger logger, string key, string manifest, string path, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dataset '{Key}' of {Manifest} has the local path '{Path}', not a cloud location; it is not shown")]
    private static partial void LocalDatasetPath(ILogger logger, string key, string manifest, string? path);
}
