using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Octue.Mount.Integrity;
using GcsObject = Google.Apis.Storage.v1.Data.Object;

namespace Octue.Mount.Storage;

/// <summary>
/// A resumable session fed while its content is written (<see cref="IStreamingUpload"/>). Each request streams its
/// range from the source in small pieces, so a chunk of any size costs one piece of memory, and the CRC32C of the
/// whole is computed on the bytes as they go out, each byte once even when a chunk is sent again. Chunks before the
/// last declare no total (<c>bytes a-b/*</c>); the last declares it with the CRC32C in <c>x-goog-hash</c>, so the
/// server creates the object only when it holds exactly the bytes hashed here. After a failed request the session is
/// asked what it holds (<c>bytes */*</c>) and the upload continues from there.
/// </summary>
internal sealed class StreamingUpload : IStreamingUpload
{
    private const int Quantum = 256 * 1024;
    private const int PieceSize = 1 << 20;

    private readonly MediaUploader _uploader;
    private readonly HttpClient _http;
    private readonly RetryPolicy _retry;
    private readonly ILogger _logger;
    private readonly Uri _session;
    private readonly string _bucket;
    private readonly string _target;
    private readonly StreamingUploadSource _source;
    private readonly Func<ObjectInfo, long, uint, Task> _verify;
    private readonly Crc32CHasher _crc = new();
    private long _hashedUpTo;
    private long _persisted;

    public StreamingUpload(MediaUploader uploader, HttpClient http, RetryPolicy retry, ILogger logger, Uri session, string bucket, string name,
        StreamingUploadSource source, Func<ObjectInfo, long, uint, Task> verify)
    {
        _uploader = uploader;
        _http = http;
        _retry = retry;
        _logger = logger;
        _session = session;
        _bucket = bucket;
        _target = ObjectInfoMapper.Uri(bucket, name);
        _source = source;
        _verify = verify;
    }

    public long Persisted => Volatile.Read(ref _persisted);

    public async Task AppendAsync(long end, CancellationToken cancellationToken = default)
    {
        if (end < _persisted || (end - _persisted) % Quantum != 0)
        {
            throw new ArgumentException($"A chunk before the last must be a multiple of 256 KiB; {end - _persisted} bytes from {_persisted}.", nameof(end));
        }
        if (await SendAsync(end, length: null, cancellationToken).ConfigureAwait(false) is { } early)
        {
            throw new IOException($"upload {_target}: the server made the object (generation {early.Generation}) before its length was declared.");
        }
    }

    public async Task<ObjectInfo> FinishAsync(long length, CancellationToken cancellationToken = default)
    {
        if (length < _persisted)
        {
            throw new ArgumentException($"The upload holds {_persisted} bytes, more than the length {length} declared.", nameof(length));
        }
        // The last request's headers carry the CRC32C of the whole, so its bytes are hashed before it is sent.
        await HashUpToAsync(length, cancellationToken).ConfigureAwait(false);
        GcsObject done = await SendAsync(length, length, cancellationToken).ConfigureAwait(false)
            ?? throw new IOException($"upload {_target}: the server did not make the object after its last byte.");
        ObjectInfo info = ObjectInfoMapper.ToInfo(done, _bucket);
        await _verify(info, length, _crc.Value).ConfigureAwait(false);
        return info;
    }

    public async Task CancelAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, _session);
            using HttpResponseMessage response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            // Unfinished, the session creates nothing; the server drops it in time.
            _logger.LogDebug(e, "upload {Target}: cancelling its session failed", _target);
        }
    }

    /// <summary>
    /// Sends the bytes from what the server holds up to <paramref name="end"/>; with <paramref name="length"/> the
    /// last request declares it (and the hash). Returns the object once made, else null.
    /// </summary>
    private async Task<GcsObject?> SendAsync(long end, long? length, CancellationToken cancellationToken)
    {
        int failures = 0;
        while (true)
        {
            try
            {
                if (length is null && _persisted == end)
                {
                    return null;
                }
                (GcsObject? done, long held) = await SendRequestAsync(_persisted, end, length, cancellationToken).ConfigureAwait(false);
                if (done is not null)
                {
                    return done;
                }
                if (held > _persisted)
                {
                    failures = 0;
                }
                Volatile.Write(ref _persisted, held);
            }
            catch (Exception error) when (failures < _retry.MaxRetries && StoreErrors.IsTransient(error, cancellationToken))
            {
                await _retry.WaitBeforeRetryAsync("upload", _target, failures++, error, cancellationToken).ConfigureAwait(false);
                // The failed request may have been partly stored: continue from what the server holds.
                (GcsObject? done, long held) = await _uploader.QueryAsync(_session, length, _target, cancellationToken).ConfigureAwait(false);
                if (done is not null)
                {
                    return done;
                }
                Volatile.Write(ref _persisted, held);
            }
            catch (HttpStatusFailure error) when (error.Status is HttpStatusCode.NotFound or HttpStatusCode.Gone)
            {
                throw new TransientStoreException($"upload {_target}: the upload session expired or was lost ({error.Message}); nothing was stored.", error);
            }
            catch (Exception error) when (error is not ObjectStoreException)
            {
                throw StoreErrors.Map(error, "upload", _target, cancellationToken);
            }
        }
    }

    private async Task<(GcsObject? Done, long Persisted)> SendRequestAsync(long offset, long end, long? length, CancellationToken cancellationToken)
    {
        long count = end - offset;
        using var request = new HttpRequestMessage(HttpMethod.Put, _session)
        {
            Content = new SourceRangeContent(this, offset, count),
        };
        if (length is { } total)
        {
            request.Headers.TryAddWithoutValidation(GoogHashHeader.Name, $"crc32c={GcsHash.ToBase64(_crc.Value)}");
            request.Content.Headers.ContentRange = count == 0
                ? new ContentRangeHeaderValue(total)
                : new ContentRangeHeaderValue(offset, end - 1, total);
        }
        else
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Range", $"bytes {offset}-{end - 1}/*");
        }
        using HttpResponseMessage response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await _uploader.InterpretAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads and hashes the bytes not hashed yet, up to <paramref name="end"/>.</summary>
    private async Task HashUpToAsync(long end, CancellationToken cancellationToken)
    {
        if (_hashedUpTo >= end)
        {
            return;
        }
        byte[] piece = ArrayPool<byte>.Shared.Rent(PieceSize);
        try
        {
            while (_hashedUpTo < end)
            {
                int count = (int)Math.Min(PieceSize, end - _hashedUpTo);
                await _source(_hashedUpTo, piece.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
                Hash(_hashedUpTo, piece.AsSpan(0, count));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(piece);
        }
    }

    /// <summary>Takes in the bytes at <paramref name="offset"/>; those hashed already (a chunk sent again) are skipped.</summary>
    private void Hash(long offset, ReadOnlySpan<byte> bytes)
    {
        if (offset > _hashedUpTo)
        {
            throw new IOException($"An upload chunk at {offset} would leave bytes {_hashedUpTo}..{offset - 1} unhashed.");
        }
        long end = offset + bytes.Length;
        if (end > _hashedUpTo)
        {
            _crc.Append(bytes[(int)(_hashedUpTo - offset)..]);
            _hashedUpTo = end;
        }
    }

    /// <summary>A request body streamed from the source in pieces, hashed on the way.</summary>
    private sealed class SourceRangeContent(StreamingUpload upload, long offset, long count) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            if (count == 0)
            {
                return;
            }
            byte[] piece = ArrayPool<byte>.Shared.Rent((int)Math.Min(PieceSize, count));
            try
            {
                long sent = 0;
                while (sent < count)
                {
                    int length = (int)Math.Min(Math.Min(PieceSize, piece.Length), count - sent);
                    Memory<byte> bytes = piece.AsMemory(0, length);
                    await upload._source(offset + sent, bytes, cancellationToken).ConfigureAwait(false);
                    upload.Hash(offset + sent, bytes.Span);
                    await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                    sent += length;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(piece);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = count;
            return true;
        }
    }
}
