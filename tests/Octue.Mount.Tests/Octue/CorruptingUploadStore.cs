using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Octue;

/// <summary>
/// Passes every call to a real store, but flips one bit of the bytes an upload sends after the caller hashed them —
/// what a bad NIC, a faulty disk read or memory corruption would do. The real server must refuse the upload.
/// </summary>
internal sealed class CorruptingUploadStore(IObjectStore inner) : DelegatingObjectStore(inner)
{
    public int CorruptedUploads { get; private set; }

    public override Task<ObjectInfo> UploadAsync(string bucket, string name, Stream content, UploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        CorruptedUploads++;
        return Inner.UploadAsync(bucket, name, new BitFlippingStream(content), options, cancellationToken);
    }

    /// <summary>Flips the lowest bit of the first byte of the content, wherever it is read from.</summary>
    private sealed class BitFlippingStream(Stream inner) : Stream
    {
        private readonly long _origin = inner.CanSeek ? inner.Position : 0;

        public override bool CanRead => true;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var start = inner.CanSeek ? inner.Position : -1;
            var read = inner.Read(buffer);
            Flip(buffer[..read], start);
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var start = inner.CanSeek ? inner.Position : -1;
            var read = await inner.ReadAsync(buffer, cancellationToken);
            Flip(buffer.Span[..read], start);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private void Flip(Span<byte> data, long start)
        {
            if (data.Length > 0 && start == _origin)
                data[0] ^= 1;
        }
    }
}
