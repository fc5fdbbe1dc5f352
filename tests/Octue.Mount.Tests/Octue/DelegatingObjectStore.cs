using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Octue;

/// <summary>Passes every call to another store; tests override the calls they watch or disturb.</summary>
internal abstract class DelegatingObjectStore(IObjectStore inner) : IObjectStore
{
    protected IObjectStore Inner { get; } = inner;

    public virtual Task<ObjectInfo> UploadAsync(string bucket, string name, Stream content, UploadOptions? options = null, CancellationToken cancellationToken = default) =>
        Inner.UploadAsync(bucket, name, content, options, cancellationToken);

    public virtual Task<IStreamingUpload> StartStreamingUploadAsync(string bucket, string name, UploadOptions options, StreamingUploadSource source, CancellationToken cancellationToken = default) =>
        Inner.StartStreamingUploadAsync(bucket, name, options, source, cancellationToken);

    public virtual Task<ObjectListing> ListAsync(string bucket, ListRequest request, CancellationToken cancellationToken = default) => Inner.ListAsync(bucket, request, cancellationToken);
    public virtual Task<ObjectInfo?> StatAsync(string bucket, string name, CancellationToken cancellationToken = default) => Inner.StatAsync(bucket, name, cancellationToken);
    public virtual Task<Stream> OpenReadAsync(string bucket, string name, long offset = 0, long? length = null, long? generation = null, CancellationToken cancellationToken = default) =>
        Inner.OpenReadAsync(bucket, name, offset, length, generation, cancellationToken);
    public virtual Task<ObjectInfo> PatchMetadataAsync(string bucket, string name, MetadataPatch patch, long? ifMetagenerationMatch = null, CancellationToken cancellationToken = default) =>
        Inner.PatchMetadataAsync(bucket, name, patch, ifMetagenerationMatch, cancellationToken);
    public virtual Task<ObjectInfo> CopyAsync(string sourceBucket, string sourceName, string destinationBucket, string destinationName, long? ifSourceGenerationMatch = null, long? ifGenerationMatch = null, CancellationToken cancellationToken = default) =>
        Inner.CopyAsync(sourceBucket, sourceName, destinationBucket, destinationName, ifSourceGenerationMatch, ifGenerationMatch, cancellationToken);
    public virtual Task DeleteAsync(string bucket, string name, long? ifGenerationMatch = null, CancellationToken cancellationToken = default) => Inner.DeleteAsync(bucket, name, ifGenerationMatch, cancellationToken);
    public virtual Task<IReadOnlyList<string>> ListBucketsAsync(string project, CancellationToken cancellationToken = default) => Inner.ListBucketsAsync(project, cancellationToken);
    public virtual Task<bool> BucketExistsAsync(string bucket, CancellationToken cancellationToken = default) => Inner.BucketExistsAsync(bucket, cancellationToken);
    public virtual Task CreateBucketAsync(string project, string bucket, CancellationToken cancellationToken = default) => Inner.CreateBucketAsync(project, bucket, cancellationToken);
}
