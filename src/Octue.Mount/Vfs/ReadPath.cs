using System.Collections.Concurrent;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>Reads of one object generation for an open handle.</summary>
internal interface IContentReader : IAsyncDisposable
{
    ValueTask<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct);
}

/// <summary>What the file system knows about the integrity of an object generation.</summary>
internal enum ContentIntegrity
{
    Unverified,
    Verified,
    Failed,
}

/// <summary>
/// The file system's door to object content: opens readers pinned to a generation and remembers which generations
/// were verified (a whole-object read checked against the CRC32C, or an upload whose hashes matched).
/// </summary>
internal sealed class ReadPath : IAsyncDisposable
{
    private readonly IObjectStore _store;
    private readonly ConcurrentDictionary<(string, string, long), ContentIntegrity> _integrity = new();

    public ReadPath(IObjectStore store)
    {
        _store = store;
    }

    public IContentReader OpenReader(ObjectInfo obj) => new RangedReader(this, obj);

    public ContentIntegrity GetIntegrity(string bucket, string name, long generation) =>
        _integrity.GetValueOrDefault((bucket, name, generation), ContentIntegrity.Unverified);

    public void MarkVerified(string bucket, string name, long generation) =>
        _integrity[(bucket, name, generation)] = ContentIntegrity.Verified;

    private void MarkFailed(string bucket, string name, long generation) =>
        _integrity[(bucket, name, generation)] = ContentIntegrity.Failed;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>
    /// Ranged GETs pinned to the generation. A read that covers the whole object asks for it whole, so the store
    /// verifies it against its CRC32C before returning the last byte.
    /// </summary>
    private sealed class RangedReader : IContentReader
    {
        private readonly ReadPath _owner;
        private readonly ObjectInfo _obj;

        public RangedReader(ReadPath owner, ObjectInfo obj)
        {
            _owner = owner;
            _obj = obj;
        }

        public async ValueTask<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct)
        {
            if (offset >= _obj.Size || buffer.Length == 0)
            {
                return 0;
            }

            var length = (int)Math.Min(buffer.Length, _obj.Size - offset);
            var whole = offset == 0 && length == _obj.Size;
            try
            {
                await using var stream = await _owner._store.OpenReadAsync(_obj.Bucket, _obj.Name, offset, whole ? null : length, _obj.Generation, ct).ConfigureAwait(false);
                var total = 0;
                while (total < length)
                {
                    var read = await stream.ReadAsync(buffer.Slice(total, length - total), ct).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    total += read;
                }

                if (whole)
                {
                    // Drain to the end so the store verifies the object before we hand out its last byte.
                    var probe = new byte[1];
                    if (await stream.ReadAsync(probe, ct).ConfigureAwait(false) != 0)
                    {
                        throw new CorruptionException($"gs://{_obj.Bucket}/{_obj.Name} returned more bytes than its size");
                    }

                    _owner.MarkVerified(_obj.Bucket, _obj.Name, _obj.Generation);
                }

                return total;
            }
            catch (CorruptionException)
            {
                _owner.MarkFailed(_obj.Bucket, _obj.Name, _obj.Generation);
                throw;
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
