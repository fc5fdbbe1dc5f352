using Microsoft.Extensions.Caching.Memory;
using Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// Short-lived metadata: object stats (positive and negative) and directory listings, on an
/// <see cref="IMemoryCache"/> with a size limit (a stat costs 1, a listing 1 + its entry count). Entries are trusted
/// for the TTL; a zero TTL caches nothing. Changes this mount makes update the listings they touch (a listing keeps
/// its age), and a listing is fetched once for everyone who asks while it is on its way.
/// </summary>
internal sealed class MetadataCache : IDisposable
{
    /// <summary>The most pages a lookup past a listing's TTL refreshes whole (above, it asks for its one name).</summary>
    public const int MaxWholeRefreshPages = 10;

    /// <summary>
    /// How long after its TTL a listing is kept, never served, so that a lookup can tell whether its directory is
    /// being walked (<see cref="ShouldRefreshWhole"/>).
    /// </summary>
    private static readonly TimeSpan UsageMemory = TimeSpan.FromSeconds(30);

    private readonly MemoryCache _cache;
    private readonly TimeSpan _ttl;
    private readonly TimeProvider _clock;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ListingKey, Refresh> _refreshes = new();
    private readonly Lock[] _stripes = CreateStripes(64);

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

    /// <summary>The directory's listing while it is fresh (with this mount's changes since), counted as a use of it.</summary>
    public DirectoryListing? TryGetListing(string bucket, string prefix)
    {
        if (FreshListing(bucket, prefix) is not { } cached)
        {
            return null;
        }

        Interlocked.Increment(ref cached.Uses);
        return cached.Listing;
    }

    /// <summary>The directory's listing while it is fresh, not counted as a use (attributes of the directory itself).</summary>
    public DirectoryListing? PeekListing(string bucket, string prefix) => FreshListing(bucket, prefix)?.Listing;

    /// <summary>
    /// Caches a listing this mount knows to be complete without asking the store (a directory it just created is
    /// empty), fresh for the TTL.
    /// </summary>
    public void PutListing(string bucket, string prefix, DirectoryListing listing)
    {
        if (!Enabled)
        {
            return;
        }

        var key = new ListingKey(bucket, prefix);
        lock (Stripe(key))
        {
            Store(key, new CachedListing(listing, _clock.GetUtcNow() + _ttl, PagesOf(listing)));
            if (_refreshes.TryGetValue(key, out var refresh))
            {
                // A listing on its way started before what this mount now knows: it must not replace it.
                refresh.Invalidated = true;
            }
        }
    }

    /// <summary>
    /// True when a lookup in this directory should be answered by listing it whole rather than by asking for the one
    /// name: a listing is on its way, or the last listing (now past its TTL) was read whole by <c>readdir</c> or
    /// answered at least as many lookups as it cost pages, and costs at most <see cref="MaxWholeRefreshPages"/>.
    /// A directory being walked (<c>ls -l</c>, <c>cp -r</c>, <c>find</c>) is then refreshed with one listing, not a
    /// request per entry; a large directory asked about one name now and then keeps costing one round trip.
    /// </summary>
    public bool ShouldRefreshWhole(string bucket, string prefix)
    {
        if (!Enabled)
        {
            return false;
        }

        var key = new ListingKey(bucket, prefix);
        if (_refreshes.ContainsKey(key))
        {
            return true;
        }

        return _cache.TryGetValue(key, out CachedListing? cached) && cached is not null && cached.Pages <= MaxWholeRefreshPages &&
               (cached.ReadWhole || Volatile.Read(ref cached.Uses) >= cached.Pages);
    }

    /// <summary>
    /// The directory's listing: the fresh one, else one listing fetched with <paramref name="list"/> and shared by
    /// everyone who asks while it is on its way (one request for many lookups). Changes this mount makes in the
    /// directory while the listing is fetched are applied to it before it is cached, so none is lost to a listing
    /// that started before it.
    /// </summary>
    /// <remarks><paramref name="readWhole"/>: the caller reads the whole listing (<c>opendir</c>), which counts as the directory being walked.</remarks>
    public async Task<DirectoryListing> GetOrListAsync(string bucket, string prefix, Func<CancellationToken, Task<DirectoryListing>> list,
        bool readWhole, CancellationToken ct)
    {
        if (FreshListing(bucket, prefix) is { } fresh)
        {
            if (readWhole)
            {
                fresh.ReadWhole = true;
            }
            else
            {
                Interlocked.Increment(ref fresh.Uses);
            }

            return fresh.Listing;
        }

        if (!Enabled)
        {
            return await list(ct).ConfigureAwait(false);
        }

        var key = new ListingKey(bucket, prefix);
        Refresh refresh;
        lock (Stripe(key))
        {
            if (!_refreshes.TryGetValue(key, out refresh!))
            {
                refresh = new Refresh();
                _refreshes[key] = refresh;
                refresh.Task = RunRefreshAsync(key, refresh, list);
            }
        }

        var listing = await refresh.Task.WaitAsync(ct).ConfigureAwait(false);
        if (FreshListing(bucket, prefix) is { } cached)
        {
            if (readWhole)
            {
                cached.ReadWhole = true;
            }
            else
            {
                Interlocked.Increment(ref cached.Uses);
            }
        }

        return listing;
    }

    private async Task<DirectoryListing> RunRefreshAsync(ListingKey key, Refresh refresh, Func<CancellationToken, Task<DirectoryListing>> list)
    {
        try
        {
            // Shared by every waiter, so no one caller's cancellation stops it; each waiter stops waiting on its own.
            await Task.Yield();
            var listing = await list(CancellationToken.None).ConfigureAwait(false);
            lock (Stripe(key))
            {
                foreach (var change in refresh.Changes)
                {
                    listing = change(listing);
                }

                if (!refresh.Invalidated)
                {
                    Store(key, new CachedListing(listing, _clock.GetUtcNow() + _ttl, PagesOf(listing)));
                }

                _refreshes.TryRemove(key, out _);
            }

            return listing;
        }
        catch
        {
            lock (Stripe(key))
            {
                _refreshes.TryRemove(key, out _);
            }

            throw;
        }
    }

    /// <summary>
    /// Applies a change this mount made in a directory to its fresh listing (and to a listing on its way), keeping the
    /// listing's age: what the store said stays trusted for the TTL, what this mount did is known.
    /// </summary>
    public void ChangeListing(string bucket, string prefix, Func<DirectoryListing, DirectoryListing> change)
    {
        if (!Enabled)
        {
            return;
        }

        var key = new ListingKey(bucket, prefix);
        lock (Stripe(key))
        {
            if (_refreshes.TryGetValue(key, out var refresh))
            {
                refresh.Changes.Add(change);
            }

            if (_cache.TryGetValue(key, out CachedListing? cached) && cached is not null)
            {
                if (_clock.GetUtcNow() < cached.FreshUntil)
                {
                    Store(key, cached.With(change(cached.Listing)));
                }
            }
        }
    }

    public void InvalidateListing(string bucket, string prefix)
    {
        var key = new ListingKey(bucket, prefix);
        lock (Stripe(key))
        {
            _cache.Remove(key);
            // A listing on its way may have started before the change that invalidates it: it must not be cached.
            if (_refreshes.TryGetValue(key, out var refresh))
            {
                refresh.Invalidated = true;
            }
        }
    }

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
            if (FileNameRule.IsValidSegment(leaf))
            {
                var kind = PosixMetadata.SymlinkTarget(info) is null ? NodeKind.File : NodeKind.Symlink;
                ChangeListing(bucket, parent, l => l.With(new ListingEntry(leaf, kind, info, bucket, name)));
            }
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

        for (var p = parent; p.Length > 0; p = ParentPrefix(p))
        {
            InvalidateDirectory(bucket, p);
            InvalidateListing(bucket, ParentPrefix(p));
        }
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
        for (var p = parent; p.Length > 0; p = ParentPrefix(p))
        {
            InvalidateDirectory(bucket, p);
            InvalidateListing(bucket, ParentPrefix(p));
        }
    }

    private void AddDirectoryEntry(string bucket, string prefix, ObjectInfo? placeholder)
    {
        var parent = ParentPrefix(prefix);
        var leaf = prefix[parent.Length..^1];
        if (FileNameRule.IsValidSegment(leaf))
        {
            ChangeListing(bucket, parent, l => l.With(new ListingEntry(leaf, NodeKind.Directory, null, bucket, prefix) { Placeholder = placeholder }));
        }
    }

    private CachedListing? FreshListing(string bucket, string prefix) =>
        _cache.TryGetValue(new ListingKey(bucket, prefix), out CachedListing? cached) && cached is not null && _clock.GetUtcNow() < cached.FreshUntil
            ? cached
            : null;

    private void Store(ListingKey key, CachedListing cached) =>
        // Kept past its TTL (never served then) for a while, so a lookup can tell that the directory is being walked.
        _cache.Set(key, cached, new MemoryCacheEntryOptions
        {
            Size = 1 + cached.Listing.ApproximateCount,
            AbsoluteExpiration = cached.FreshUntil + UsageMemory,
        });

    private Lock Stripe(ListingKey key) => _stripes[(key.GetHashCode() & int.MaxValue) % _stripes.Length];

    private static int PagesOf(DirectoryListing listing) => Math.Max(1, (listing.ApproximateCount + DirectoryLister.PageSize - 1) / DirectoryLister.PageSize);

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

    /// <summary>A directory's listing, when it stops being fresh, and how it was used since it was listed.</summary>
    private sealed class CachedListing(DirectoryListing listing, DateTimeOffset freshUntil, int pages)
    {
        public DirectoryListing Listing { get; } = listing;
        public DateTimeOffset FreshUntil { get; } = freshUntil;
        public int Pages { get; } = pages;

        /// <summary>Lookups and stats it answered.</summary>
        public int Uses;

        /// <summary>Read whole by <c>opendir</c>.</summary>
        public bool ReadWhole { get; set; }

        /// <summary>The same listing, as old, with a change this mount made.</summary>
        public CachedListing With(DirectoryListing changed) => new(changed, FreshUntil, Pages) { Uses = Volatile.Read(ref Uses), ReadWhole = ReadWhole };
    }

    /// <summary>A listing on its way, and the changes this mount made in the directory meanwhile.</summary>
    private sealed class Refresh
    {
        public Task<DirectoryListing> Task { get; set; } = null!;
        public List<Func<DirectoryListing, DirectoryListing>> Changes { get; } = new();
        public bool Invalidated { get; set; }
    }

    private static Lock[] CreateStripes(int count)
    {
        var stripes = new Lock[count];
        for (var i = 0; i < count; i++)
        {
            stripes[i] = new Lock();
        }

        return stripes;
    }

    private sealed record Boxed<TValue>(TValue? Value) where TValue : class;
}
