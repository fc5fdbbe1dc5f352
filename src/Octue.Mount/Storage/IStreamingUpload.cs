namespace Octue.Mount.Storage;

/// <summary>
/// Reads exactly <paramref name="destination"/>.Length bytes of a streamed upload's content, starting
/// <paramref name="offset"/> bytes into it. Bytes once read must read the same again: a chunk whose request failed is
/// sent again from the same source.
/// </summary>
public delegate ValueTask StreamingUploadSource(long offset, Memory<byte> destination, CancellationToken cancellationToken);

/// <summary>
/// A resumable upload sent while its content is still being written (<see cref="IObjectStore.StartStreamingUploadAsync"/>).
/// Nothing is created until <see cref="FinishAsync"/> declares the length and the CRC32C of the whole and the server
/// finds them right and the preconditions still true: a session that is never finished, or is cancelled, publishes
/// nothing. Calls are not concurrent: one caller feeds the upload in order.
/// </summary>
public interface IStreamingUpload
{
    /// <summary>The bytes the server holds (from the start of the content).</summary>
    long Persisted { get; }

    /// <summary>
    /// Sends the bytes from <see cref="Persisted"/> to <paramref name="end"/> (read from the source), as one request
    /// when nothing fails. The count sent must be a multiple of 256 KiB, as a resumable upload takes them before its
    /// last request. Transient failures are retried from what the server holds.
    /// </summary>
    Task AppendAsync(long end, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends the rest, up to <paramref name="length"/>, with the length and the CRC32C of the whole (computed on the
    /// bytes as they were sent), and returns the object once the server made it and its size and CRC32C match
    /// (an object that does not match is removed and <see cref="CorruptionException"/> thrown). A precondition of the
    /// upload that no longer holds gives <see cref="PreconditionFailedException"/>: nothing was created.
    /// </summary>
    Task<ObjectInfo> FinishAsync(long length, CancellationToken cancellationToken = default);

    /// <summary>Tells the server to drop the session and its bytes (best effort: a session never finished publishes nothing anyway).</summary>
    Task CancelAsync(CancellationToken cancellationToken = default);
}
