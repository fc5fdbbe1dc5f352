using System.Collections.Concurrent;
using System.Security.Cryptography;
using Octue.Mount.Integrity;

namespace Octue.Mount.Emulator;

/// <summary>
/// The emulator's buckets and objects. Tests use the public members to set up and inspect state without HTTP;
/// the request handlers use the internal ones, which apply GCS's preconditions atomically per bucket.
/// </summary>
public sealed class EmulatorStore
{
    private readonly ConcurrentDictionary<string, BucketState> _buckets = new(StringComparer.Ordinal);
    private readonly GenerationClock _clock = new();
    private readonly FolderPersistence? _persistence;
    // Persisting writes the latest state of an object, one object at a time, so writes can never land out of order.
    private readonly SemaphoreSlim _persistGate = new(1, 1);

    /// <summary>An empty store held in memory only.</summary>
    public EmulatorStore()
    {
    }

    private EmulatorStore(FolderPersistence persistence)
    {
        _persistence = persistence;
    }

    /// <summary>The folder the store persists to, or null when it lives in memory only.</summary>
    public string? DataDirectory => _persistence?.Root;

    /// <summary>Opens (or creates) a store persisted in <paramref name="dataDirectory"/>, loading what it holds.</summary>
    public static EmulatorStore Open(string dataDirectory)
    {
        var store = new EmulatorStore(FolderPersistence.Open(dataDirectory));
        foreach (var (bucket, objects) in store._persistence!.Load())
        {
            foreach (var obj in objects)
            {
                bucket.Put(obj);
                store._clock.Observe(obj.Generation);
            }
            store._buckets[bucket.Name] = bucket;
        }
        return store;
    }

    /// <summary>Creates a bucket; one that exists already is left as it is.</summary>
    public void CreateBucket(string name)
    {
        if (GcsNameRules.CheckBucketName(name) is { } problem)
            throw new ArgumentException(problem, nameof(name));
        TryCreateBucket(name);
    }

    public bool BucketExists(string name) => _buckets.ContainsKey(name);

    /// <summary>Writes an object (replacing any previous one) and returns its generation.</summary>
    public long PutObject(string bucket, string name, byte[] data, IDictionary<string, string>? metadata = null, string? contentType = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (GcsNameRules.CheckObjectName(name) is { } problem)
            throw new ArgumentException(problem, nameof(name));
        var attributes = new ObjectAttributes
        {
            ContentType = contentType ?? ObjectAttributes.DefaultContentType,
            Metadata = metadata is null ? ObjectAttributes.NoMetadata : new Dictionary<string, string>(metadata),
        };
        var result = Insert(bucket, name, ObjectBytes.Of(data), Crc32C.Compute(data), MD5.HashData(data), attributes, Preconditions.None);
        if (result.Status == StoreStatus.BucketNotFound)
            throw new InvalidOperationException($"Bucket '{bucket}' does not exist.");
        PersistObject(bucket, name);
        return result.Value!.Generation;
    }

    public bool TryGetObject(string bucket, string name, out StoredObject obj)
    {
        obj = null!;
        if (!_buckets.TryGetValue(bucket, out var state))
            return false;
        lock (state.Gate)
        {
            if (!state.Objects.TryGetValue(name, out var found))
                return false;
            obj = found;
            return true;
        }
    }

    /// <summary>The names of a bucket's objects in listing order.</summary>
    public IReadOnlyList<string> ListObjectNames(string bucket)
    {
        if (!_buckets.TryGetValue(bucket, out var state))
            throw new InvalidOperationException($"Bucket '{bucket}' does not exist.");
        lock (state.Gate)
            return [.. state.Names];
    }

    /// <summary>Removes an object; returns false when there was none.</summary>
    public bool DeleteObject(string bucket, string name)
    {
        if (!_buckets.TryGetValue(bucket, out var state))
            return false;
        bool removed;
        lock (state.Gate)
        {
            removed = state.Objects.ContainsKey(name);
            state.Remove(name);
        }
        PersistObject(bucket, name);
        return removed;
    }

    internal bool TryCreateBucket(string name)
    {
        var state = new BucketState(name, DateTimeOffset.UtcNow);
        if (!_buckets.TryAdd(name, state))
            return false;
        _persistence?.SaveBucket(state);
        return true;
    }

    internal BucketState? GetBucket(string name) => _buckets.TryGetValue(name, out var state) ? state : null;

    internal List<BucketState> Buckets()
    {
        var list = new List<BucketState>(_buckets.Values);
        list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    internal StoreStatus DeleteBucket(string name)
    {
        if (!_buckets.TryGetValue(name, out var state))
            return StoreStatus.BucketNotFound;
        lock (state.Gate)
        {
            if (state.Objects.Count > 0)
                return StoreStatus.Conflict;
            _buckets.TryRemove(name, out _);
        }
        _persistence?.DeleteBucket(name);
        return StoreStatus.Ok;
    }

    internal StoreResult<StoredObject> Get(string bucket, string name)
    {
        if (!_buckets.TryGetValue(bucket, out var state))
            return StoreResult<StoredObject>.Fail(StoreStatus.BucketNotFound);
        lock (state.Gate)
        {
            return state.Objects.TryGetValue(name, out var obj)
                ? StoreResult<StoredObject>.Ok(obj)
                : StoreResult<StoredObject>.Fail(StoreStatus.ObjectNotFound);
        }
    }

    internal StoreResult<ListPage> List(string bucket, ListQuery query, PageToken? token)
    {
        if (!_buckets.TryGetValue(bucket, out var state))
            return StoreResult<ListPage>.Fail(StoreStatus.BucketNotFound);
        lock (state.Gate)
            return StoreResult<ListPage>.Ok(ObjectLister.List(state, query, token));
    }

    /// <summary>Writes a new generation of an object if the preconditions hold against the current one.</summary>
    internal StoreResult<StoredObject> Insert(string bucket, string name, ObjectBytes data, uint crc32c, byte[]? md5,
        ObjectAttributes attributes, Preconditions preconditions, int? componentCount = null)
    {
        if (!_buckets.TryGetValue(bucket, out var state))
            return StoreResult<StoredObject>.Fail(StoreStatus.BucketNotFound);
        lock (state.Gate)
        {
            state.Objects.TryGetValue(name, out var current);
            if (!preconditions.IsSatisfiedBy(current))
                return StoreResult<StoredObject>.Fail(StoreStatus.PreconditionFailed);
            var now = DateTimeOffset.UtcNow;
            var obj = new StoredObject
            {
                Bucket = bucket,
                Name = name,
                Bytes = data,
                Generation = _clock.Next(),
                Crc32c = crc32c,
                Md5 = md5,
                ContentType = attributes.ContentType,
                ContentEncoding = attributes.ContentEncoding,
                ContentDisposition = attributes.ContentDisposition,
                ContentLanguage = attributes.ContentLanguage,
                CacheControl = attributes.CacheControl,
                Metadata = attributes.Metadata,
                ComponentCount = componentCount,
                TimeCreated = now,
                Updated = now,
            };
            state.Put(obj);
            return StoreResult<StoredObject>.Ok(obj);
        }
    }

    /// <summary>
    /// Replaces an existing object's attributes with what <paramref name="change"/> makes of them (bumping the
    /// metageneration), if the preconditions and the optional ETag hold.
    /// </summary>
    internal StoreResult<StoredObject> UpdateAttributes(string bucket, string name, long? generation, Preconditions preconditions,
        string? ifMatchEtag, Func<StoredObject, ObjectAttributes> change)
    {
        if (!_buckets.TryGetValue(bucket, out var state))
            return StoreResult<StoredObject>.Fail(StoreStatus.BucketNotFound);
        lock (state.Gate)
        {
            // The generation selector is checked under the same lock as the change, so it cannot pass for a revision
            // that is replaced before the change lands.
            if (!state.Objects.TryGetValue(name, out var current) || !GenerationSelector.Selects(generation, current))
                return StoreResult<StoredObject>.Fail(StoreStatus.ObjectNotFound);
            if (!preconditions.IsSatisfiedBy(current) || (ifMatchEtag is not null && ifMatchEtag != ETag.Of(current)))
                return StoreResult<StoredObject>.Fail(StoreStatus.PreconditionFailed);
            var updated = current.WithAttributes(change(current), DateTimeOffset.UtcNow);
            state.Put(updated);
            return StoreResult<StoredObject>.Ok(updated);
        }
    }

    internal StoreResult<StoredObject> Delete(string bucket, string name, long? generation, Preconditions preconditions)
    {
        if (!_buckets.TryGetValue(bucket, out var state))
            return StoreResult<StoredObject>.Fail(StoreStatus.BucketNotFound);
        lock (state.Gate)
        {
            if (!state.Objects.TryGetValue(name, out var current) || !GenerationSelector.Selects(generation, current))
                return StoreResult<StoredObject>.Fail(StoreStatus.ObjectNotFound);
            if (!preconditions.IsSatisfiedBy(current))
                return StoreResult<StoredObject>.Fail(StoreStatus.PreconditionFailed);
            state.Remove(name);
            return StoreResult<StoredObject>.Ok(current);
        }
    }

    /// <summary>Writes an object's latest state to the folder, if the store has one.</summary>
    internal async ValueTask PersistObjectAsync(string bucket, string name, CancellationToken ct)
    {
        if (_persistence is null)
            return;
        await _persistGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            TryGetObject(bucket, name, out var current);
            if (BucketExists(bucket))
                await _persistence.SaveObjectAsync(bucket, name, current, ct).ConfigureAwait(false);
        }
        finally
        {
            _persistGate.Release();
        }
    }

    private void PersistObject(string bucket, string name)
    {
        if (_persistence is null)
            return;
        _persistGate.Wait();
        try
        {
            TryGetObject(bucket, name, out var current);
            if (BucketExists(bucket))
                _persistence.SaveObject(bucket, name, current);
        }
        finally
        {
            _persistGate.Release();
        }
    }
}
