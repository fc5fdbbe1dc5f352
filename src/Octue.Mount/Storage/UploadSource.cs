using System.Buffers;
using Octue.Mount.Integrity;

namespace Octue.Mount.Storage;

/// <summary>
/// The bytes of an upload with their length and hashes known before the first byte is sent (GCS needs the hashes
/// up front to refuse corrupt bytes). A seekable stream is hashed in a first pass and rewound; any other stream is
/// spooled to a temporary file (deleted on dispose) while it is hashed, so resumable chunks can be re-read.
/// </summary>
internal sealed class UploadSource : IAsyncDisposable
{
    private const int PassBufferSize = 1024 * 1024;

    private readonly Stream? _ownedStream;

    private UploadSource(Stream stream, long start, long length, uint crc32c, byte[] md5, Stream? owned)
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

    public uint Crc32c { get; }

    public byte[] Md5 { get; }

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
            long length = content.Length - start;
            if (knownCrc32c is { } crc && knownMd5 is not null)
            {
                return new UploadSource(content, start, length, crc, knownMd5, owned: null);
            }
            (uint computedCrc, byte[] computedMd5, long hashed) = await HashAsync(content, copyTo: null, cancellationToken).ConfigureAwait(false);
            if (hashed != length)
            {
                throw new IOException($"The upload content changed length while it was hashed ({hashed} bytes read, {length} expected).");
            }
            content.Position = start;
            return new UploadSource(content, start, length, knownCrc32c ?? computedCrc, knownMd5 ?? computedMd5, owned: null);
        }

        string path = Path.Combine(Path.GetTempPath(), $"octue-upload-{Guid.NewGuid():N}.tmp");
        var spool = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        try
        {
            (uint computedCrc, byte[] computedMd5, long length) = await HashAsync(content, spool, cancellationToken).ConfigureAwait(false);
            await spool.FlushAsync(cancellationToken).ConfigureAwait(false);
            spool.Position = 0;
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

    private static async Task<(uint Crc32c, byte[] Md5, long Length)> HashAsync(Stream content, Stream? copyTo, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(PassBufferSize);
        try
        {
            using var hasher = new ContentHasher();
            int read;
            while ((read = await content.ReadAsync(buffer.AsMemory(0, PassBufferSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                hasher.Append(buffer.AsSpan(0, read));
                if (copyTo is not null)
                {
                    await copyTo.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }
            return (hasher.Crc32c, hasher.GetMd5(), hasher.Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
