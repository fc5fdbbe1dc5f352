using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// A reader over a whole object held in memory: a small object fetched, and verified against its hash, by the one GET
/// that opened it. The buffer is pooled and counts against the read path's <see cref="MemoryBudget"/> until the reader
/// is disposed.
/// </summary>
internal sealed class WholeObjectReader : IObjectReader
{
    private readonly LeasedBuffer _bytes;

    public WholeObjectReader(ObjectInfo obj, LeasedBuffer bytes)
    {
        Object = obj;
        _bytes = bytes;
    }

    public ObjectInfo Object { get; }

    public ValueTask<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct = default)
    {
        var bytes = _bytes.Current;
        ObjectDisposedException.ThrowIf(bytes is null, this);
        if (offset >= _bytes.Length)
        {
            return ValueTask.FromResult(0);
        }

        var count = (int)Math.Min(buffer.Length, _bytes.Length - offset);
        bytes.AsSpan((int)offset, count).CopyTo(buffer.Span);
        return ValueTask.FromResult(count);
    }

    public ValueTask DisposeAsync()
    {
        _bytes.Release();
        return ValueTask.CompletedTask;
    }
}
