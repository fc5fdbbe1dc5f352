using Microsoft.Extensions.Caching.Memory;
using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// Short-lived metadata: object stats (positive and negative) and directory listings, on an
/// <see cref="IMemoryCache"/> with a size limit (a stat costs 1, a listing 1 + its entry count). Entries are trusted
/// for the TTL; a zero TTL caches nothing. Changes this mount makes update the listings they touch (a listing keeps
/// its age), and a listing is fetched once for everyone who asks while it is on its way. The listings are the layer
/// above's (<typeparamref name="TListing"/>: what a directory shows is its business); the cache changes them only
/// through <see cref="ICachedListing{TSelf}"/>. <see cref="MetadataCachingStore{TListing}"/> keeps it current with
/// what goes through the store; the layer above asks it through <see cref="IMetadataKnowledge{TListing}"/>.
/// </summary>
internal sealed partial class MetadataCache<TListing> : IDisposable
    where TListing : class, ICachedListing<TListing>
{
    /// <summary>
    /// How long after its TTL a listing is kept, never served, so that a lookup can tell whether its directory is
    /// being walked (<see cref="ShouldRefreshWhole"/>).
    /// </summary>
    private static readonly TimeSpan UsageMemory = TimeSpan.FromSeconds(30);

    private readonly MemoryCache _cache;
    private readonly TimeSpan _ttl;
    private readonly TimeProvider _clock;

    public MetadataCache(TimeSpan ttl, long sizeLimit, TimeProvider timeProvider)
    {
        _ttl = ttl;
        _clock = timeProvider;
        _cache = new MemoryCache(new MemoryCacheOptions
        {
            SizeLimit = Math.Max(1, sizeLimit),
            Clock = new TimeProviderClock(timeProvider),
        });
    }

    public bool Enabled => _ttl > TimeSpan.Zero;

    public TimeSpan Ttl => _ttl;

    /// <summary>A cached stat: true with <paramref name="info"/> null means "known not to exist".</summary>
    public bool TryGetStat(string bucket, string name, out ObjectInfo? info)
    {
        if (_cache.TryGetValue(new StatKey(bucket, name), out StatEntry? entry) && entry is not null)
        {
            info = entry.Info;
            return true;
        }

        info = null;
        return false;
    }

    public void PutStat(string bucket, string name, ObjectInfo? info)
    {
        if (!Enabled)
        {
            return;
        }

        _cache.Set(new StatKey(bucket, name), new StatEntry(info), new MemoryCacheEntryOptions
        {
            Size = 1,
            AbsoluteExpirationRelativeToNow = _ttl,
        });
    }

    public void InvalidateStat(string bucket, string name) => _cache.Remove(new StatKey(bucket, name));

    /// <summary>A cached answer to "does anything lie under this prefix?".</summary>
    public bool TryGetDirectory(string bucket, string prefix, out bool exists)
    {
        if (_cache.TryGetValue(new DirectoryKey(bucket, prefix), out bool value))
        {
            exists = value;
            return true;
        }

        exists = false;
        return false;
    }

    public void PutDirectory(string bucket, string prefix, bool exists)
    {
        if (!Enabled)
        {
            return;
        }

        _cache.Set(new DirectoryKey(bucket, prefix), exists, new MemoryCacheEntryOptions
        {
            Size = 1,
            AbsoluteExpirationRelativeToNow = _ttl,
        });
    }

    public void InvalidateDirectory(string bucket, string prefix) => _cache.Remove(new DirectoryKey(bucket, prefix));

    /// <summary>Any other short-lived value (dataset metadata) under a key of its own type.</summary>
    public bool TryGet<TValue>(object key, out TValue? value) where TValue : class
    {
        if (_cache.TryGetValue(key, out object? stored) && stored is Boxed<TValue> boxed)
        {
            value = boxed.Value;
            return true;
        }

        value = null;
        return false;
    }

    public void Put<TValue>(object key, TValue? value) where TValue : class
    {
        if (!Enabled)
        {
            return;
        }

        _cache.Set(key, new Boxed<TValue>(value), new MemoryCacheEntryOptions
        {
            Size = 1,
            AbsoluteExpirationRelativeToNow = _ttl,
        });
    }

    public void Remove(object key) => _cache.Remove(key);

    /// <summary>
    /// Records an object this mount wrote (an upload, a copy, a metadata change): its stat, its entry in its
    /// directory's listing, and the existence of every directory above it (a new object can make them appear).
    /// </summary>
    public void ObjectWritten(ObjectInfo info)
    {
        var bucket = info.Bucket;
        var name = info.Name;
        PutStat(bucket, name, info);
        if (name.EndsWith('/'))
        {
            // A directory's placeholder: the directory exists and keeps its attributes there.
            PutDirectory(bucket, name, true);
            ChangeListing(bucket, name, l => l.WithPlaceholder(info));
            AddDirectoryEntry(bucket, name, info);
        }
        else
        {
            var parent = ParentPrefix(name);
            var leaf = name[parent.Length..];
            ChangeListing(bucket, parent, l => l.WithObject(leaf, info));
        }

        for (var p = ParentPrefix(name); p.Length > 0; p = ParentPrefix(p))
        {
            PutDirectory(bucket, p, true);
            AddDirectoryEntry(bucket, p, placeholder: null);
        }
    }

    /// <summary>
    /// Records an object this mount deleted: known missing, gone from its directory's listing. A directory above it
    /// may have vanished with it (an implicit directory lives only by its objects), so what is known of those is forgotten.
    /// </summary>
    public void ObjectRemoved(string bucket, string name)
    {
        PutStat(bucket, name, null);
        var parent = ParentPrefix(name);
        if (name.EndsWith('/'))
        {
            ChangeListing(bucket, name, static l => l.WithPlaceholder(null));
        }
        else
        {
            var leaf = name[parent.Length..];
            ChangeListing(bucket, parent, l => l.Without(leaf));
        }

        ForgetAncestors(bucket, parent);
    }

    /// <summary>Records a directory this mount removed (rmdir): known missing, gone from its parent's listing.</summary>
    public void DirectoryRemoved(string bucket, string prefix)
    {
        PutStat(bucket, prefix, null);
        InvalidateListing(bucket, prefix);
        PutDirectory(bucket, prefix, false);
        var parent = ParentPrefix(prefix);
        var leaf = prefix[parent.Length..^1];
        ChangeListing(bucket, parent, l => l.Without(leaf));
        ForgetAncestors(bucket, parent);
    }

    private void AddDirectoryEntry(string bucket, string prefix, ObjectInfo? placeholder)
    {
        var parent = ParentPrefix(prefix);
        var leaf = prefix[parent.Length..^1];
        ChangeListing(bucket, parent, l => l.WithDirectory(leaf, bucket, prefix, placeholder));
    }

    /// <summary>Forgets what is known about an object and the listing of the directory holding it.</summary>
    public void InvalidateObject(string bucket, string name)
    {
        InvalidateStat(bucket, name);
        var parent = ParentPrefix(name);
        InvalidateListing(bucket, parent);
        ForgetAncestors(bucket, parent);
    }

    /// <summary>
    /// Every ancestor's existence may have changed (an implicit directory appears or vanishes): forgets each, and the
    /// listing that names it.
    /// </summary>
    private void ForgetAncestors(string bucket, string parent)
    {
        for (var p = parent; p.Length > 0; p = ParentPrefix(p))
        {
            InvalidateDirectory(bucket, p);
            InvalidateListing(bucket, ParentPrefix(p));
        }
    }

    private static string ParentPrefix(string name) => ObjectNames.ParentPrefix(name);

    public void Dispose() => _cache.Dispose();

    private readonly record struct StatKey(string Bucket, string Name);

    private readonly record struct DirectoryKey(string Bucket, string Prefix);

    private sealed record StatEntry(ObjectInfo? Info);

    private sealed record Boxed<TValue>(TValue? Value) where TValue : class;
}

/// <summary>What the metadata caches of every listing type share.</summary>
internal static class MetadataCache
{
    /// <summary>The most pages a lookup past a listing's TTL refreshes whole (above, it asks for its one name).</summary>
    public const int MaxWholeRefreshPages = 10;
}
