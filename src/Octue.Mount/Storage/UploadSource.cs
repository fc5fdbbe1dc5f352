using System.Buffers;
using Octue.Mount.Integrity;

namespace Octue.Mount.Storage;

/// <summary>
/// The bytes of an upload, re-readable from any offset (resumable chunks may be sent again), with whatever hashes
/// are already known. A seekable stream is used in place; any other stream is spooled to a temporary file
/// (deleted on dispose) and hashed on the way, since that pass is free.
/// </summary>
internal sealed class UploadSource : IAsyncDisposable
{
    private const int PassBufferSize = 1024 * 1024;

    private readonly Stream? _ownedStream;

    private UploadSource(Stream stream, long start, long length, uint? crc32c, byte[]? md5, Stream? owned)
    {
        Stream = stream;
        Start = start;
        Length = length;
        Crc32c = crc32c;
        Md5 = md5;
        _ownedStream = owned;
    }

    public Stream Stream { get; }

    public long Start { get; }

    public long Length { get; }

    /// <summary>The content's CRC32C when known before sending (given by the caller, or computed while spooling).</summary>
    public uint? Crc32c { get; }

    /// <summary>The content's MD5 when known before sending.</summary>
    public byte[]? Md5 { get; }

    public static async Task<UploadSource> PrepareAsync(Stream content, uint? knownCrc32c, byte[]? knownMd5, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!content.CanRead)
        {
            throw new ArgumentException("The upload content cannot be read.", nameof(content));
        }
        if (content.CanSeek)
        {
            long start = content.Position;
            return new UploadSource(content, start, content.Length - start, knownCrc32c, knownMd5, owned: null);
        }

        string path = Path.Combine(Path.GetTempPath(), $"octue-upload-{Guid.NewGuid():N}.tmp");
        var spool = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        try
        {
            (uint computedCrc, byte[] computedMd5, long length) = await SpoolAsync(content, spool, cancellationToken).ConfigureAwait(false);
            await spool.FlushAsync(cancellationToken).ConfigureAwait(false);
            return new UploadSource(spool, 0, length, knownCrc32c ?? computedCrc, knownMd5 ?? computedMd5, owned: spool);
        }
        catch
        {
            await spool.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Reads exactly <paramref name="destination"/>.Length bytes starting <paramref name="offset"/> bytes into the content.</summary>
    public async Task ReadAtAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        Stream.Position = Start + offset;
        await Stream.ReadExactlyAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _ownedStream?.DisposeAsync() ?? ValueTask.CompletedTask;

    private static async Task<(uint Crc32c, byte[] Md5, long Length)> SpoolAsync(Stream content, Stream copyTo, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(PassBufferSize);
        try
        {
            using var hasher = new ContentHasher();
            int read;
            while ((read = await content.ReadAsync(buffer.AsMemory(0, PassBufferSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                hasher.Append(buffer.AsSpan(0, read));
                await copyTo.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
            return (hasher.Crc32c, hasher.GetMd5(), hasher.Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
