namespace Octue.Mount.Tests.Storage;

/// <summary>
/// A seekable read-only stream of reproducible pseudo-random bytes computed from their position: byte p is
/// entry p mod T of a random table, with T = 1 MiB + 13 so that no chunk size lines up with the pattern and a
/// misplaced chunk shows. Gigabytes of content at memcpy speed, without holding them in memory.
/// </summary>
internal sealed class GeneratedStream : Stream
{
    private const int TableSize = (1 << 20) + 13;

    private readonly byte[] _table;
    private readonly long _length;
    private long _position;

    public GeneratedStream(long length, int seed)
    {
        _length = length;
        _table = Table(seed);
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = value is >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>The random table of a seed (the same bytes every time).</summary>
    public static byte[] Table(int seed)
    {
        byte[] table = new byte[TableSize];
        new Random(seed).NextBytes(table);
        return table;
    }

    /// <summary>Fills <paramref name="destination"/> with the bytes at <paramref name="position"/> of the content of <paramref name="table"/>.</summary>
    public static void Fill(byte[] table, long position, Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            int start = (int)(position % TableSize);
            int n = Math.Min(TableSize - start, destination.Length);
            table.AsSpan(start, n).CopyTo(destination);
            destination = destination[n..];
            position += n;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = (int)Math.Max(0, Math.Min(buffer.Length, _length - _position));
        Fill(_table, _position, buffer[..n]);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => _length + offset,
    };

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
