using System.Buffers;
using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// A small object downloaded whole with one unpinned GET and verified: its bytes, and the version the response said it
/// is. <see cref="ToReader"/> hands the bytes to a reader once the caller knows the object's metadata.
/// </summary>
internal sealed class WholeObject : IAsyncDisposable
{
    private LeasedBuffer? _bytes;

    private WholeObject(long generation, long? metageneration, LeasedBuffer bytes)
    {
        Generation = generation;
        Metageneration = metageneration;
        _bytes = bytes;
        Length = bytes.Length;
    }

    public long Generation { get; }
    public long? Metageneration { get; }
    public int Length { get; }

    /// <summary>
    /// Downloads the current version of an object expected to be about <paramref name="expectedSize"/> bytes, whole,
    /// verified against its CRC32C before this returns. Null when it cannot be held in memory (larger than
    /// <paramref name="maxBytes"/>, or the budget is short) or the server did not say which generation it served:
    /// the caller then opens it the ordinary way. A missing object throws <see cref="ObjectNotFoundException"/>.
    /// </summary>
    public static async Task<WholeObject?> FetchAsync(IObjectStore store, MemoryBudget budget, string bucket, string name,
        long expectedSize, int maxBytes, CancellationToken ct)
    {
        if (expectedSize > maxBytes || !budget.TryAcquire(Math.Max(1, expectedSize), out var first))
        {
            return null;
        }

        MemoryBudget.Lease? lease = first;
        byte[]? buffer = null;
        try
        {
            await using var stream = await store.OpenReadAsync(bucket, name, 0, null, null, ct).ConfigureAwait(false);
            if (stream is not IServedObject { ServedGeneration: { } generation } served || served.ServedObjectSize > maxBytes)
            {
                return null;
            }

            var size = (int)served.ServedObjectSize;
            if (size > expectedSize)
            {
                // Grown since it was last seen: hold the larger copy only if the budget allows it now.
                if (!budget.TryAcquire(size, out var larger))
                {
                    return null;
                }

                lease.Dispose();
                lease = larger;
            }

            buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, size));
            var filled = 0;
            while (true)
            {
                // Reading to the end makes the stream check the whole object's CRC32C (CorruptionException if wrong).
                var read = await stream.ReadAsync(buffer.AsMemory(filled, Math.Max(0, size - filled)), ct).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                filled += read;
            }

            if (filled != size)
            {
                throw new IOException($"gs://{bucket}/{name}: {filled} bytes received of {size}");
            }

            var whole = new WholeObject(generation, served.ServedMetageneration, new LeasedBuffer(buffer, size, lease));
            buffer = null;
            lease = null;
            return whole;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            lease?.Dispose();
        }
    }

    /// <summary>A reader of these bytes as <paramref name="obj"/> (of the same generation); this object gives them up.</summary>
    public IObjectReader ToReader(ObjectInfo obj)
    {
        if (obj.Generation != Generation)
        {
            throw new ArgumentException($"The bytes are generation {Generation}, not {obj.Generation}.", nameof(obj));
        }

        var bytes = Interlocked.Exchange(ref _bytes, null) ?? throw new ObjectDisposedException(nameof(WholeObject));
        return new WholeObjectReader(obj, bytes);
    }

    public ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _bytes, null)?.Release();
        return ValueTask.CompletedTask;
    }
}
