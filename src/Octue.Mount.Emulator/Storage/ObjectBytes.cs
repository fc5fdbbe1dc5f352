namespace Octue.Mount.Emulator;

/// <summary>
/// The bytes of a stored object: one array, or the arrays an upload arrived in, in order. A resumable upload of
/// unknown length (a client streaming a file while it is written) arrives as many chunks; Cloud Storage does not copy
/// them into one piece when the upload finishes, and neither does the emulator: downloads read across the pieces. Never
/// changed once made. <see cref="ToArray"/> joins them once, for callers that need one array.
/// </summary>
internal sealed class ObjectBytes
{
    public static readonly ObjectBytes Empty = new([]);

    private readonly byte[][] _pieces;
    /// <summary>Where each piece starts in the whole.</summary>
    private readonly long[] _starts;
    private byte[]? _joined;

    private ObjectBytes(byte[][] pieces)
    {
        _pieces = pieces;
        _starts = new long[pieces.Length];
        long length = 0;
        for (var i = 0; i < pieces.Length; i++)
        {
            _starts[i] = length;
            length += pieces[i].Length;
        }
        Length = length;
        if (pieces.Length <= 1)
            _joined = pieces.Length == 1 ? pieces[0] : [];
    }

    public static ObjectBytes Of(byte[] data) => data.Length == 0 ? Empty : new([data]);

    /// <summary>The pieces in order (empty ones are left out); their total length must fit in one array.</summary>
    public static ObjectBytes Of(IEnumerable<byte[]> pieces)
    {
        var kept = pieces.Where(piece => piece.Length > 0).ToArray();
        var bytes = kept.Length == 0 ? Empty : new ObjectBytes(kept);
        if (bytes.Length > Array.MaxLength)
            throw GcsException.BadRequest("The object would be more than this emulator holds in one object.");
        return bytes;
    }

    public long Length { get; }

    /// <summary>The pieces in order, for a caller that reads the whole (a hash, a copy).</summary>
    public IReadOnlyList<byte[]> Pieces => _pieces;

    /// <summary>
    /// The bytes from <paramref name="offset"/> on, at most <paramref name="maxCount"/> of them, as far as the piece
    /// holding <paramref name="offset"/> goes: a caller reading a range asks again from where this one ended.
    /// </summary>
    public ReadOnlyMemory<byte> At(long offset, int maxCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, Length);
        if (offset == Length || maxCount <= 0)
            return ReadOnlyMemory<byte>.Empty;
        var index = Array.BinarySearch(_starts, offset);
        if (index < 0)
            index = ~index - 1;
        var within = (int)(offset - _starts[index]);
        var piece = _pieces[index];
        return piece.AsMemory(within, Math.Min(maxCount, piece.Length - within));
    }

    /// <summary>The whole as one array: the piece itself when there is one, else joined once and kept.</summary>
    public byte[] ToArray()
    {
        if (Volatile.Read(ref _joined) is { } joined)
            return joined;
        var whole = GC.AllocateUninitializedArray<byte>((int)Length);
        for (var i = 0; i < _pieces.Length; i++)
            _pieces[i].CopyTo(whole, (int)_starts[i]);
        return Interlocked.CompareExchange(ref _joined, whole, null) ?? whole;
    }
}
