using System.Security.Cryptography;

namespace Octue.Mount.Integrity;

/// <summary>
/// Computes both hashes GCS keeps (CRC-32C and MD5) in one pass over content that arrives in pieces.
/// Not thread-safe; dispose it to release the MD5 state.
/// </summary>
public sealed class ContentHasher : IDisposable
{
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private readonly Crc32CHasher _crc = new();

    public long Length => _crc.Length;

    public uint Crc32c => _crc.Value;

    public void Append(ReadOnlySpan<byte> data)
    {
        _crc.Append(data);
        _md5.AppendData(data);
    }

    /// <summary>MD5 of everything appended so far (the hasher can keep going afterwards).</summary>
    public byte[] GetMd5() => _md5.GetCurrentHash();

    public void Dispose() => _md5.Dispose();
}
