using Microsoft.Extensions.Caching.Memory;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// Short-lived metadata: object stats (positive and negative) and directory listings, on an
/// <see cref="IMemoryCache"/> with a size limit (a stat costs 1, a listing 1 + its entry count). Entries expire after
/// the TTL; a zero TTL caches nothing. Writers update or invalidate entries of what they change.
/// </summary>
internal sealed class MetadataCache : IDisposable
{
    private readonly MemoryCache _cache;
    private readonly TimeSpan _ttl;

    public MetadataCache(TimeSpan ttl, long sizeLimit, TimeProvider timeProvider)
    {
        _ttl = ttl;
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

    public DirectoryListing? TryGetListing(string bucket, string prefix) =>
        _cache.TryGetValue(new ListingKey(bucket, prefix), out DirectoryListing? listing) ? listing : null;

    public void PutListing(string bucket, string prefix, DirectoryListing listing)
    {
        if (!Enabled)
        {
            return;
        }

        _cache.Set(new ListingKey(bucket, prefix), listing, new MemoryCacheEntryOptions
        {
            Size = 1 + listing.Entries.Count,
            AbsoluteExpirationRelativeToNow = _ttl,
        });
    }

    public void InvalidateListing(string bucket, string prefix) => _cache.Remove(new ListingKey(bucket, prefix));

    /// <summary>Forgets what is known about an object and the listing of the directory holding it.</summary>
    public void InvalidateObject(string bucket, string name)
    {
        InvalidateStat(bucket, name);
        var parent = ParentPrefix(name);
        InvalidateListing(bucket, parent);
        // Every ancestor's existence may have changed (an implicit directory appears or vanishes).
        for (var p = parent; p.Length > 0; p = ParentPrefix(p))
        {
            InvalidateDirectory(bucket, p);
            InvalidateListing(bucket, ParentPrefix(p));
        }
    }

    /// <summary>The prefix of the directory holding <paramref name="name"/> ("a/b/c" → "a/b/", "a/b/" → "a/").</summary>
    public static string ParentPrefix(string name)
    {
        var end = name.EndsWith('/') ? name.Length - 1 : name.Length;
        if (end <= 0)
        {
            return "";
        }

        var slash = name.LastIndexOf('/', end - 1);
        return slash < 0 ? "" : name[..(slash + 1)];
    }

    public void Dispose() => _cache.Dispose();

    private readonly record struct StatKey(string Bucket, string Name);

    private readonly record struct ListingKey(string Bucket, string Prefix);

    private readonly record struct DirectoryKey(string Bucket, string Prefix);

    private sealed record StatEntry(ObjectInfo? Info);

    private sealed record Boxed<TValue>(TValue? Value) where TValue : class;
}
