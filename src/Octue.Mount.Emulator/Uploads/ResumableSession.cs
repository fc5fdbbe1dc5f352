using System.Security.Cryptography;
using Octue.Mount.Integrity;

namespace Octue.Mount.Emulator;

/// <summary>One resumable upload: where it goes, what it will be, and the bytes persisted so far.</summary>
internal sealed class ResumableSession(
    string id, string bucket, string name, ObjectAttributes attributes, Preconditions preconditions,
    ClientHashes declaredHashes, long? declaredLength, long maxLength) : IDisposable
{
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private uint _crc32c;

    public string Id { get; } = id;

    public string Bucket { get; } = bucket;

    public string Name { get; } = name;

    public ObjectAttributes Attributes { get; } = attributes;

    public Preconditions Preconditions { get; } = preconditions;

    /// <summary>Hashes given when the session was opened; the final chunk's <c>x-goog-hash</c> may add to them.</summary>
    public ClientHashes DeclaredHashes { get; } = declaredHashes;

    /// <summary>Chunks of one session are taken one at a time.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>The bytes so far; dropped once the upload completed.</summary>
    public UploadBuffer? Buffer { get; private set; } = new(declaredLength, maxLength);

    public long Persisted { get; private set; }

    private long _lastUsedTicks;

    /// <summary>When a request last used the session (kept as ticks so concurrent requests never tear it).</summary>
    public DateTimeOffset LastUsed
    {
        get => new(Interlocked.Read(ref _lastUsedTicks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref _lastUsedTicks, value.UtcTicks);
    }

    /// <summary>The total length, once a request said it.</summary>
    public long? Total { get; set; }

    /// <summary>The object made when the upload completed (later requests on the session get it back).</summary>
    public StoredObject? Result { get; set; }

    public uint Crc32c => _crc32c;

    /// <summary>Counts bytes that arrived whole into the object's length and hashes.</summary>
    public void Commit(ReadOnlySpan<byte> committed)
    {
        Persisted += committed.Length;
        _crc32c = Crc32C.Append(_crc32c, committed);
        _md5.AppendData(committed);
    }

    /// <summary>Hands over the bytes and their MD5; the session keeps no reference to them.</summary>
    public (ObjectBytes Data, byte[] Md5) TakeContent()
    {
        var data = Buffer!.ToBytes();
        Buffer = null;
        return (data, _md5.GetHashAndReset());
    }

    public void Dispose()
    {
        Buffer = null;
        _md5.Dispose();
    }
}
