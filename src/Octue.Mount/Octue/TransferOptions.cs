using Octue.Mount.Storage;

namespace Octue.Mount.Octue;

/// <summary>
/// How a container talks to Cloud Storage and how it transfers files. Every <c>ToCloudAsync</c>, <c>FromCloudAsync</c>
/// and <c>DownloadAsync</c> takes one (optionally); leaving it out uses <see cref="OctueCloud.DefaultStore"/> with the
/// defaults below.
/// </summary>
public sealed record TransferOptions
{
    /// <summary>The object store to use; null means <see cref="OctueCloud.DefaultStore"/>.</summary>
    public IObjectStore? Store { get; init; }

    /// <summary>How many files of a dataset or manifest are transferred at once (at least 1).</summary>
    public int Parallelism { get; init; } = 16;

    /// <summary>
    /// Skip files whose destination already holds the same bytes (same size and CRC32C): on upload the object's
    /// Octue metadata is still brought up to date; on download the local file is kept as it is.
    /// </summary>
    public bool SkipUnchanged { get; init; }

    /// <summary>Receives a report after every file of a multi-file transfer.</summary>
    public IProgress<TransferProgress>? Progress { get; init; }

    internal IObjectStore ResolveStore() => Store ?? OctueCloud.DefaultStore;

    internal int ResolveParallelism() => Math.Max(1, Parallelism);

    internal static TransferOptions Default { get; } = new();
}

/// <summary>Where a multi-file transfer stands.</summary>
/// <param name="FilesDone">Files finished (transferred or skipped).</param>
/// <param name="FilesTotal">Files in the transfer.</param>
/// <param name="FilesSkipped">Files skipped because their CRC32C already matched.</param>
/// <param name="BytesDone">Bytes of the finished files.</param>
/// <param name="BytesTotal">Bytes of all files (as far as known).</param>
public readonly record struct TransferProgress(int FilesDone, int FilesTotal, int FilesSkipped, long BytesDone, long BytesTotal);
