namespace Octue.Mount.Tests;

/// <summary>
/// A download that delivers its bytes up to <c>holdAfter</c>, then waits for <c>release</c> before it delivers the rest:
/// for tests that need a download caught halfway.
/// </summary>
internal sealed class HeldStream(Stream inner, long holdAfter, Task release) : Stream
{
    private long _position;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= holdAfter)
        {
            await release.WaitAsync(cancellationToken);
        }
        else if (_position + buffer.Length > holdAfter)
        {
            buffer = buffer[..(int)(holdAfter - _position)];
        }
        int n = await inner.ReadAsync(buffer, cancellationToken);
        _position += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
