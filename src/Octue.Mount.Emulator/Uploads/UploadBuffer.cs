namespace Octue.Mount.Emulator;

/// <summary>
/// The bytes of a resumable upload so far. When the client declared the total length up front, chunks land in
/// one array of that size; otherwise each chunk is kept as received, and the object is made of those pieces (as in
/// Cloud Storage, nothing is copied when the upload finishes: a client streaming a file of 1 GiB would otherwise wait
/// at its last request for the emulator to copy the whole GiB).
/// A chunk counts only once it has been received whole, and never past <c>maxLength</c> bytes in all.
/// </summary>
internal sealed class UploadBuffer(long? declaredLength, long maxLength)
{
    private readonly byte[]? _whole = declaredLength is { } n && n <= maxLength ? GC.AllocateUninitializedArray<byte>((int)n) : null;
    private readonly List<byte[]> _segments = [];

    public long Length { get; private set; }

    /// <summary>Reads the rest of <paramref name="body"/> as the next bytes; returns them once all arrived.</summary>
    public async Task<ReadOnlyMemory<byte>> AppendAsync(Stream body, long? count, CancellationToken ct)
    {
        if (_whole is not null)
        {
            var room = _whole.Length - Length;
            if (count > room)
                throw GcsException.BadRequest($"The upload is longer than the {_whole.Length} bytes declared in X-Upload-Content-Length.");
            var target = _whole.AsMemory((int)Length, (int)(count ?? room));
            var filled = await body.ReadAtLeastAsync(target, target.Length, throwOnEndOfStream: count is not null, ct).ConfigureAwait(false);
            if (count is null && filled == target.Length && await HasMoreAsync(body, ct).ConfigureAwait(false))
                throw GcsException.BadRequest($"The upload is longer than the {_whole.Length} bytes declared in X-Upload-Content-Length.");
            Length += filled;
            return target[..filled];
        }
        // Never more than the room left: a chunk that would pass the limit is refused as it arrives, not once held.
        var chunk = await RequestBody.ReadAllAsync(body, count, ct, maxLength - Length).ConfigureAwait(false);
        if (chunk.Length > 0)
            _segments.Add(chunk);
        Length += chunk.Length;
        return chunk;
    }

    /// <summary>The whole object (the buffer is not used after this).</summary>
    public ObjectBytes ToBytes()
    {
        if (_whole is not null)
            return ObjectBytes.Of(Length == _whole.Length ? _whole : _whole[..(int)Length]);
        return ObjectBytes.Of(_segments);
    }

    private static async Task<bool> HasMoreAsync(Stream body, CancellationToken ct)
    {
        var probe = new byte[1];
        return await body.ReadAsync(probe, ct).ConfigureAwait(false) > 0;
    }
}
