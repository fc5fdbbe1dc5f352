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

    /// <summary>How many bytes have been appended.</summary>
    public long Length => _crc.Length;

    /// <summary>CRC-32C of everything appended so far (0 for no bytes).</summary>
    public uint Crc32c => _crc.Value;

    /// <summary>Adds the next piece of the content to both hashes.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        _crc.Append(data);
        _md5.AppendData(data);
    }

    /// <summary>MD5 of everything appended so far (the hasher can keep going afterwards).</summary>
    public byte[] GetMd5() => _md5.GetCurrentHash();

    /// <summary>Releases the MD5 state; the hasher cannot be used afterwards.</summary>
    public void Dispose() => _md5.Dispose();
}
