using Microsoft.Extensions.Logging;

namespace Octue.Mount.Vfs;

/// <summary>Log messages of the file system that are not one-off.</summary>
internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Dataset file gs://{Bucket}/{Name} listed by the manifest does not exist; it is not shown")]
    public static partial void MissingDatasetFile(ILogger logger, string bucket, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dataset file gs://{Bucket}/{Name} is not shown: {Shown}, another file of the dataset, is shown at its path")]
    public static partial void DuplicateDatasetFile(ILogger logger, string bucket, string name, string shown);
}
