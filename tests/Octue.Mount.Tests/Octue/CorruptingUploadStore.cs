using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Octue;

/// <summary>
/// Passes every call to a real store, but flips one bit of the bytes an upload sends after the caller hashed them —
/// what a bad NIC, a faulty disk read or memory corruption would do. The real server must refuse the upload.
/// </summary>
internal sealed class CorruptingUploadStore(IObjectStore inner) : IObjectStore
{
    public int CorruptedUploads { get; private set; }

    public Task<ObjectInfo> UploadAsync(string bucket, string name, Stream content, UploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        CorruptedUploads++;
        return inner.UploadAsync(bucket, name, new BitFlippingStream(content), options, cancellationToken);
    }

    public Task<ObjectListing> ListAsync(string bucket, ListRequest request, CancellationToken cancellationToken = default) => inner.ListAsync(bucket, request, cancellationToken);
    public Task<ObjectInfo?> StatAsync(string bucket, string name, CancellationToken cancellationToken = default) => inner.StatAsync(bucket, name, cancellationToken);
    public Task<Stream> OpenReadAsync(string bucket, string name, long offset = 0, long? length = null, long? generation = null, CancellationToken cancellationToken = default) =>
        inner.OpenReadAsync(bucket, name, offset, length, generation, cancellationToken);
    public Task<ObjectInfo> PatchMetadataAsync(string bucket, string name, MetadataPatch patch, long? ifMetagenerationMatch = null, CancellationToken cancellationToken = default) =>
        inner.PatchMetadataAsync(bucket, name, patch, ifMetagenerationMatch, cancellationToken);
    public Task<ObjectInfo> CopyAsync(string sourceBucket, string sourceName, string destinationBucket, string destinationName, long? ifSourceGenerationMatch = null, long? ifGenerationMatch = null, CancellationToken cancellationToken = default) =>
        inner.CopyAsync(sourceBucket, sourceName, destinationBucket, destinationName, ifSourceGenerationMatch, ifGenerationMatch, cancellationToken);
    public Task DeleteAsync(string bucket, string name, long? ifGenerationMatch = null, CancellationToken cancellationToken = default) => inner.DeleteAsync(bucket, name, ifGenerationMatch, cancellationToken);
    public Task<IReadOnlyList<string>> ListBucketsAsync(string project, CancellationToken cancellationToken = default) => inner.ListBucketsAsync(project, cancellationToken);
    public Task<bool> BucketExistsAsync(string bucket, CancellationToken cancellationToken = default) => inner.BucketExistsAsync(bucket, cancellationToken);
    public Task CreateBucketAsync(string project, string bucket, CancellationToken cancellationToken = default) => inner.CreateBucketAsync(project, bucket, cancellationToken);

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
