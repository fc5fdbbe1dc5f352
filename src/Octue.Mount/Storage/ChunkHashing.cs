using Octue.Mount.Integrity;

namespace Octue.Mount.Storage;

/// <summary>
/// Hashes an upload's bytes as its chunks go out, each byte once even when a chunk is sent again after a failure
/// (the bytes are re-read from the same source, so a resend is the same bytes). Hashes known in advance are used
/// as they are.
/// </summary>
internal sealed class ChunkHashing : IDisposable
{
    private readonly UploadSource _source;
    private readonly ContentHasher? _hasher;
    private long _hashedUpTo;

    public ChunkHashing(UploadSource source)
    {
        _source = source;
        _hasher = source.Crc32c is null || source.Md5 is null ? new ContentHasher() : null;
    }

    /// <summary>Takes in the chunk at <paramref name="offset"/>; bytes already hashed are skipped.</summary>
    public void Add(long offset, ReadOnlySpan<byte> chunk)
    {
        if (_hasher is null)
        {
            return;
        }
        if (offset > _hashedUpTo)
        {
            throw new IOException($"An upload chunk at {offset} would leave bytes {_hashedUpTo}..{offset - 1} unhashed.");
        }
        long end = offset + chunk.Length;
        if (end > _hashedUpTo)
        {
            _hasher.Append(chunk[(int)(_hashedUpTo - offset)..]);
            _hashedUpTo = end;
        }
    }

    /// <summary>The CRC32C of the whole (once every byte went through <see cref="Add"/>).</summary>
    public uint Crc32c => _source.Crc32c ?? _hasher!.Crc32c;

    public byte[] Md5 => _source.Md5 ?? _hasher!.GetMd5();

    public void Dispose() => _hasher?.Dispose();
}
