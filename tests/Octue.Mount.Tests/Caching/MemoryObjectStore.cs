using System.Collections.Concurrent;
using System.Security.Cryptography;
using Octue.Mount.Integrity;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Caching;

/// <summary>
/// An in-process object store for the unit tests of the read path's own logic (the emulator tests cover the same
/// paths over HTTP through the real client). Serves ranged reads and can damage the bytes of the next downloads.
/// </summary>
internal sealed class MemoryObjectStore : IObjectStore
{
    private readonly ConcurrentDictionary<(string, string), (ObjectInfo Info, byte[] Data)> _objects = new();
    private long _generation = 1000;
    private int _downloads;
    private long _bytesRequested;
    private int _corruptNext;
    private long _holdAfter = -1;
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Downloads => Volatile.Read(ref _downloads);

    /// <summary>The bytes the downloads asked for (a streaming GET asks for the rest of the object, a chunk GET for its chunk).</summary>
    public long BytesRequested => Interlocked.Read(ref _bytesRequested);

    /// <summary>Flips one byte in each of the next <paramref name="count"/> downloads.</summary>
    public void CorruptNextDownloads(int count) => Volatile.Write(ref _corruptNext, count);

    /// <summary>
    /// The next downloads deliver their first <paramref name="bytes"/> bytes, then wait until <see cref="ReleaseHeldDownloads"/>.
    /// </summary>
    public void HoldDownloadsAfter(long bytes)
    {
        _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _holdAfter, bytes);
    }

    private (long Bytes, TaskCompletionSource Release)? _holdNext;

    /// <summary>The next download (only) delivers its first <paramref name="bytes"/> bytes, then waits until the returned source completes.</summary>
    public TaskCompletionSource HoldNextDownloadAfter(long bytes)
    {
        TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_objects)
        {
            _holdNext = (bytes, release);
        }
        return release;
    }

    public void ReleaseHeldDownloads()
    {
        Volatile.Write(ref _holdAfter, -1);
        _release.TrySetResult();
    }

    public ObjectInfo Put(string bucket, string name, byte[] data, bool withCrc32c = true, bool withMd5 = true)
    {
        ObjectInfo info = new()
        {
            Bucket = bucket,
            Name = name,
            Size = data.Length,
            Generation = Interlocked.Increment(ref _generation),
            Metageneration = 1,
            Crc32c = withCrc32c ? Crc32C.Compute(data) : null,
            Md5 = withMd5 ? MD5.HashData(data) : null,
        };
        _objects[(bucket, name)] = (info, data);
        return info;
    }

    public Task<ObjectInfo?> StatAsync(string bucket, string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(_objects.TryGetValue((bucket, name), out var o) ? o.Info : null);

    public async Task<Stream> OpenReadAsync(string bucket, string name, long offset = 0, long? length = null, long? generation = null,
        CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        if (!_objects.TryGetValue((bucket, name), out var o))
        {
            throw new ObjectNotFoundException($"{bucket}/{name}");
        }
        if (generation is long g && g != o.Info.Generation)
        {
            throw new PreconditionFailedException($"{bucket}/{name} is not at generation {g}");
        }
        Interlocked.Increment(ref _downloads);
        long end = length is long l ? Math.Min(o.Data.Length, offset + l) : o.Data.Length;
        Interlocked.Add(ref _bytesRequested, end - offset);
        byte[] copy = o.Data.AsSpan((int)offset, (int)(end - offset)).ToArray();
        if (copy.Length > 0 && Interlocked.Decrement(ref _corruptNext) >= 0)
        {
            copy[copy.Length / 2] ^= 0x5A;
        }
        (long Bytes, TaskCompletionSource Release)? holdNext;
        lock (_objects)
        {
            holdNext = _holdNext;
            _holdNext = null;
        }
        if (holdNext is { } one)
        {
            return new HeldStream(new MemoryStream(copy, writable: false), one.Bytes, one.Release.Task);
        }
        long holdAfter = Volatile.Read(ref _holdAfter);
        return holdAfter >= 0 ? new HeldStream(new MemoryStream(copy, writable: false), holdAfter, _release.Task) : new MemoryStream(copy, writable: false);
    }

    public Task<ObjectListing> ListAsync(string bucket, ListRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<ObjectInfo> UploadAsync(string bucket, string name, Stream content, UploadOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<IStreamingUpload> StartStreamingUploadAsync(string bucket, string name, UploadOptions options, StreamingUploadSource source, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<ObjectInfo> PatchMetadataAsync(string bucket, string name, MetadataPatch patch, long? ifMetagenerationMatch = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<ObjectInfo> CopyAsync(string sourceBucket, string sourceName, string destinationBucket, string destinationName, long? ifSourceGenerationMatch = null, long? ifGenerationMatch = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task DeleteAsync(string bucket, string name, long? ifGenerationMatch = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<IReadOnlyList<string>> ListBucketsAsync(string project, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<bool> BucketExistsAsync(string bucket, CancellationToken cancellationToken = default) => Task.FromResult(true);
    public Task CreateBucketAsync(string project, string bucket, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
