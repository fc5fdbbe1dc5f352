using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Octue.Mount.Integrity;

namespace Octue.Mount.Storage;

/// <summary>
/// A forward-only stream over a byte range of one object generation, pulled from the HTTP response as the
/// caller reads (nothing is buffered beyond the socket). A broken or short response is resumed from the last
/// byte received, pinned to the generation first served. A read of the whole object is hashed as it goes and
/// checked against the object's CRC32C (MD5 when there is none) before the last bytes are handed out; a
/// mismatch throws <see cref="CorruptionException"/>.
/// </summary>
internal sealed class ObjectReadStream : Stream, IServedObject
{
    private readonly HttpClient _http;
    private readonly MediaEndpoints _endpoints;
    private readonly RetryPolicy _retry;
    private readonly ILogger _logger;
    private readonly string _bucket;
    private readonly string _name;
    private readonly long _start;
    private readonly Func<long?, CancellationToken, Task<ObjectInfo?>> _stat;
    private readonly TimeSpan _stallTimeout;

    private long _position;
    private long _end;
    private long? _generation;
    private long? _metageneration;
    private long _objectSize;
    private HttpResponseMessage? _response;
    private Stream? _body;
    private long _bytesToSkip;
    private bool _wholeObject;
    private uint? _expectedCrc32c;
    private byte[]? _expectedMd5;
    private Crc32CHasher? _crc;
    private IncrementalHash? _md5;
    private bool _verified;
    private bool _disposed;

    private ObjectReadStream(HttpClient http, MediaEndpoints endpoints, RetryPolicy retry, ILogger logger, string bucket, string name,
        long offset, long? generation, TimeSpan stallTimeout, Func<long?, CancellationToken, Task<ObjectInfo?>> stat)
    {
        _stallTimeout = stallTimeout;
        _http = http;
        _endpoints = endpoints;
        _retry = retry;
        _logger = logger;
        _bucket = bucket;
        _name = name;
        _start = offset;
        _position = offset;
        _generation = generation;
        _stat = stat;
    }

    private string Target => ObjectInfoMapper.Uri(_bucket, _name);

    /// <summary>
    /// Sends the first request (so a missing object or failed precondition surfaces here, not on the first read)
    /// and returns the stream positioned at <paramref name="offset"/>.
    /// </summary>
    public static async Task<Stream> OpenAsync(HttpClient http, MediaEndpoints endpoints, RetryPolicy retry, ILogger logger,
        string bucket, string name, long offset, long? length, long? generation, TimeSpan stallTimeout,
        Func<long?, CancellationToken, Task<ObjectInfo?>> stat, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "A read length cannot be negative.");
        }
        var stream = new ObjectReadStream(http, endpoints, retry, logger, bucket, name, offset, generation, stallTimeout, stat);
        try
        {
            await retry.ExecuteAsync("read", stream.Target,
                async (_, ct) =>
                {
                    using CancellationTokenSource stall = stream.StallGuard(ct);
                    await stream.OpenFirstAsync(length, stall.Token).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return stream;
    }

    public long? ServedGeneration => _generation;

    public long? ServedMetageneration => _metageneration;

    public long ServedObjectSize => _objectSize;

    public override bool CanRead => !_disposed;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    /// <summary>Bytes this stream covers (known once the first response arrived).</summary>
    public override long Length => _end - _start;

    /// <summary>Bytes read so far.</summary>
    public override long Position
    {
        get => _position - _start;
        set => throw new NotSupportedException("An object read stream only moves forward; open another at the new offset.");
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.Length == 0)
        {
            return 0;
        }
        if (_position >= _end)
        {
            Verify();
            return 0;
        }
        Memory<byte> target = buffer[..(int)Math.Min(buffer.Length, _end - _position)];
        int failures = 0;
        while (true)
        {
            try
            {
                using CancellationTokenSource stall = StallGuard(cancellationToken);
                if (_body is null)
                {
                    await ResumeAsync(stall.Token).ConfigureAwait(false);
                }
                await SkipUnrequestedBytesAsync(target, stall.Token).ConfigureAwait(false);
                int read = await _body!.ReadAsync(target, stall.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new IOException($"The response ended at byte {_position} of {_end}.");
                }
                _crc?.Append(target.Span[..read]);
                _md5?.AppendData(target.Span[..read]);
                _position += read;
                if (_position == _end)
                {
                    Verify(); // before the last bytes reach the caller
                }
                return read;
            }
            catch (Exception error) when (failures < _retry.MaxRetries && StoreErrors.IsTransient(error, cancellationToken))
            {
                CloseResponse();
                await _retry.WaitBeforeRetryAsync("read", Target, failures++, error, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error)
            {
                CloseResponse();
                throw StoreErrors.Map(error, "read", Target, cancellationToken);
            }
        }
    }

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        await ReadAsync(buffer.AsMemory(offset, count), cancellationToken).ConfigureAwait(false);

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("Object streams are read asynchronously (ReadAsync / CopyToAsync).");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) =>
        throw new NotSupportedException("An object read stream only moves forward; open another at the new offset.");

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override ValueTask DisposeAsync()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            CloseResponse();
            _md5?.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>
    /// A token that also fires when the server sends nothing for the stall timeout: a connection that hangs
    /// mid-body is then abandoned and resumed like a broken one (the caller's own cancellation still wins).
    /// </summary>
    private CancellationTokenSource StallGuard(CancellationToken cancellationToken)
    {
        CancellationTokenSource stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(_stallTimeout);
        return stall;
    }

    private async Task OpenFirstAsync(long? length, CancellationToken cancellationToken)
    {
        CloseResponse();
        if (length == 0)
        {
            _end = _start;
            return;
        }
        long? lastRequested = length is { } n ? _start + n - 1 : null;
        bool ranged = _start > 0 || lastRequested is not null;
        HttpResponseMessage response = await SendAsync(ranged ? new RangeHeaderValue(_start, lastRequested) : null, cancellationToken)
            .ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // The offset is at or past the end: an empty read, as reading a file at its end.
            response.Dispose();
            _end = _start;
            return;
        }
        long total = TotalSize(response);
        _objectSize = total;
        _end = lastRequested is { } last ? Math.Min(last + 1, total) : total;
        _generation ??= GenerationOf(response);
        _metageneration = HeaderNumber(response, "x-goog-metageneration");
        _wholeObject = _start == 0 && _end == total;
        await AttachAsync(response, cancellationToken).ConfigureAwait(false);
        if (_wholeObject)
        {
            await PrepareVerificationAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ResumeAsync(CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await SendAsync(new RangeHeaderValue(_position, _end - 1), cancellationToken).ConfigureAwait(false);
        await AttachAsync(response, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendAsync(RangeHeaderValue? range, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _endpoints.Download(_bucket, _name, _generation));
        request.Headers.Range = range;
        request.Options.Set(StoredBytesHandler.StoredBytes, true);
        HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
            .ConfigureAwait(false);
        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            return response;
        }
        using (response)
        {
            throw await HttpFailures.FromResponseAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task AttachAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        // A server that ignores Range answers 200 with the whole object: skip what precedes our position.
        long bodyStart = response.StatusCode == HttpStatusCode.PartialContent
            ? response.Content.Headers.ContentRange?.From ?? _position
            : 0;
        if (bodyStart > _position)
        {
            response.Dispose();
            throw new IOException($"The server answered from byte {bodyStart}, after the requested {_position}.");
        }
        _bytesToSkip = _position - bodyStart;
        _response = response;
        _body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task SkipUnrequestedBytesAsync(Memory<byte> scratch, CancellationToken cancellationToken)
    {
        while (_bytesToSkip > 0)
        {
            int read = await _body!.ReadAsync(scratch[..(int)Math.Min(scratch.Length, _bytesToSkip)], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("The response ended before the requested offset.");
            }
            _bytesToSkip -= read;
        }
    }

    private async Task PrepareVerificationAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        // x-goog-hash always describes the whole object, and this response carries the whole object (a 200, or a
        // 206 whose range covers it all). Servers that leave it off a 206 make us ask for the object's metadata.
        (uint? crc, byte[]? md5) = GoogHashHeader.Parse(response.Headers);
        if (crc is null && md5 is null)
        {
            ObjectInfo? info = await _stat(_generation, cancellationToken).ConfigureAwait(false)
                ?? throw new ObjectNotFoundException($"read {Target}: the object disappeared while it was being opened.");
            (crc, md5) = (info.Crc32c, info.Md5);
        }
        _expectedCrc32c = crc;
        _expectedMd5 = crc is null ? md5 : null;
        _crc = crc is not null ? new Crc32CHasher() : null;
        _md5 = crc is null && md5 is not null ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
        if (crc is null && md5 is null)
        {
            _logger.LogWarning("read {Target}: the object has neither CRC32C nor MD5; its bytes cannot be verified", Target);
        }
    }

    private void Verify()
    {
        if (!_wholeObject || _verified)
        {
            return;
        }
        if (_crc is not null && _crc.Value != _expectedCrc32c)
        {
            throw Corrupt($"CRC32C of the bytes received is {GcsHash.ToBase64(_crc.Value)}, the object's is {GcsHash.ToBase64(_expectedCrc32c!.Value)}");
        }
        if (_md5 is not null)
        {
            byte[] actual = _md5.GetCurrentHash();
            if (!actual.AsSpan().SequenceEqual(_expectedMd5))
            {
                throw Corrupt($"MD5 of the bytes received is {GcsHash.ToBase64(actual)}, the object's is {GcsHash.ToBase64(_expectedMd5!)}");
            }
        }
        _verified = true;
    }

    private CorruptionException Corrupt(string detail)
    {
        _logger.LogError("read {Target} generation {Generation}: {Detail}", Target, _generation, detail);
        return new CorruptionException($"read {Target} (generation {_generation}): {detail}; the bytes are not what was stored.");
    }

    private void CloseResponse()
    {
        _body?.Dispose();
        _body = null;
        _response?.Dispose();
        _response = null;
    }

    private static long TotalSize(HttpResponseMessage response)
    {
        if (response.StatusCode == HttpStatusCode.PartialContent)
        {
            return response.Content.Headers.ContentRange?.Length
                ?? throw new IOException("A partial response without the object's total length in Content-Range.");
        }
        // A 200 carries the whole object as stored; x-goog-stored-content-length names its size even when the body is cut short.
        if (response.Headers.TryGetValues("x-goog-stored-content-length", out IEnumerable<string>? stored)
            && long.TryParse(stored.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out long storedLength))
        {
            return storedLength;
        }
        return response.Content.Headers.ContentLength
            ?? throw new IOException("A response without Content-Length; the object's size is unknown.");
    }

    private static long? GenerationOf(HttpResponseMessage response) => HeaderNumber(response, "x-goog-generation");

    private static long? HeaderNumber(HttpResponseMessage response, string header) =>
        response.Headers.TryGetValues(header, out IEnumerable<string>? values)
        && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out long number)
            ? number
            : null;
}
