using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// Reads one object generation at any offset. Safe for concurrent reads. The read whose bytes complete the
/// object throws <see cref="CorruptionException"/> when the object does not match its hash, and every later read
/// of the same reader throws too: no read returns bytes already known to be wrong.
/// </summary>
public interface IObjectReader : IAsyncDisposable
{
    /// <summary>The object (and generation) this reader is pinned to.</summary>
    ObjectInfo Object { get; }

    /// <summary>
    /// Reads up to <c>buffer.Length</c> bytes at <paramref name="offset"/>; fewer bytes only at the end of the object
    /// (0 at or past the end).
    /// </summary>
    ValueTask<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct = default);
}
