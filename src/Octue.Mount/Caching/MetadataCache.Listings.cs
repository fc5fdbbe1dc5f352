using Microsoft.Extensions.Caching.Memory;
using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

// Cached directory listings: fetched once for everyone who asks while one is on its way, refreshed whole or in
// pages, and changed in place by what this mount does.
internal sealed partial class MetadataCache<TListing>
{
    private readonly Lock[] _stripes = CreateStripes(64);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ListingKey, Refresh> _refreshes = new();

    /// <summary>The directory's listing while it is fresh (with this mount's changes since), counted as a use of it.</summary>
    public TListing? TryGetListing(string bucket, string prefix)
    {
        if (FreshListing(bucket, prefix) is not { } cached)
        {
            return null;
        }

        Interlocked.Increment(ref cached.Uses);
        return cached.Listing;
    }

    /// <summary>The directory's listing while it is fresh, not counted as a use (attributes of the directory itself).</summary>
    public TListing? PeekListing(string bucket, string prefix) => FreshListing(bucket, prefix)?.Listing;

    /// <summary>
    /// Caches a listing this mount knows to be complete without asking the store (a directory it just created is
    /// empty), fresh for the TTL.
    /// </summary>
    public void PutListing(string bucket, string prefix, TListing listing)
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
    /// answered at least as many lookups as it cost pages, and costs at most <see cref="MetadataCache.MaxWholeRefreshPages"/>.
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

        return _cache.TryGetValue(key, out CachedListing? cached) && cached is not null && cached.Pages <= MetadataCache.MaxWholeRefreshPages &&
               (cached.ReadWhole || Volatile.Read(ref cached.Uses) >= cached.Pages);
    }

    /// <summary>
    /// The directory's listing: the fresh one, else one listing fetched with <paramref name="list"/> and shared by
    /// everyone who asks while it is on its way (one request for many lookups). Changes this mount makes in the
    /// directory while the listing is fetched are applied to it before it is cached, so none is lost to a listing
    /// that started before it.
    /// </summary>
    /// <remarks><paramref name="readWhole"/>: the caller reads the whole listing (<c>opendir</c>), which counts as the directory being walked.</remarks>
    public async Task<TListing> GetOrListAsync(string bucket, string prefix, Func<CancellationToken, Task<TListing>> list,
        bool readWhole, CancellationToken ct)
    {
        if (FreshListing(bucket, prefix) is { } fresh)
        {
            return Used(fresh, readWhole).Listing;
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
                // A refresh stores its listing and leaves under this lock: one that ended since the look above has
                // left a fresh listing, which must not be fetched again.
                if (FreshListing(bucket, prefix) is { } landed)
                {
                    return Used(landed, readWhole).Listing;
                }

                refresh = new Refresh();
                _refreshes[key] = refresh;
                refresh.Task = RunRefreshAsync(key, refresh, list);
            }
        }

        var listing = await refresh.Task.WaitAsync(ct).ConfigureAwait(false);
        if (FreshListing(bucket, prefix) is { } cached)
        {
            Used(cached, readWhole);
        }

        return listing;
    }

    /// <summary>Counts a use of a cached listing: read whole (a walk), or one more lookup answered by it.</summary>
    private static CachedListing Used(CachedListing cached, bool readWhole)
    {
        if (readWhole)
        {
            cached.ReadWhole = true;
        }
        else
        {
            Interlocked.Increment(ref cached.Uses);
        }

        return cached;
    }

    /// <summary>
    /// Starts fetching a directory's listing with <paramref name="list"/>, unless it is fresh or already on its way,
    /// and does not wait for it: whoever asks for the listing meanwhile shares it (<see cref="GetOrListAsync"/>), and
    /// lookups there wait for it (<see cref="ShouldRefreshWhole"/>). False when nothing was started.
    /// </summary>
    public bool TryStartListing(string bucket, string prefix, Func<CancellationToken, Task<TListing>> list)
    {
        if (!Enabled || FreshListing(bucket, prefix) is not null)
        {
            return false;
        }

        var key = new ListingKey(bucket, prefix);
        Refresh refresh;
        lock (Stripe(key))
        {
            // Looked at again under the lock: a refresh that ended since the look above left a fresh listing.
            if (_refreshes.ContainsKey(key) || FreshListing(bucket, prefix) is not null)
            {
                return false;
            }

            refresh = new Refresh();
            _refreshes[key] = refresh;
            refresh.Task = RunRefreshAsync(key, refresh, list);
        }

        // No one may ever wait for it: a failure is for whoever asks next (who lists again), never unobserved.
        _ = refresh.Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return true;
    }

    private async Task<TListing> RunRefreshAsync(ListingKey key, Refresh refresh, Func<CancellationToken, Task<TListing>> list)
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
    public void ChangeListing(string bucket, string prefix, Func<TListing, TListing> change)
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

    private static int PagesOf(TListing listing) => Math.Max(1, (listing.ApproximateCount + ListRequest.MaxPageSize - 1) / ListRequest.MaxPageSize);

    private readonly record struct ListingKey(string Bucket, string Prefix);

    /// <summary>A directory's listing, when it stops being fresh, and how it was used since it was listed.</summary>
    private sealed class CachedListing(TListing listing, DateTimeOffset freshUntil, int pages)
    {
        public TListing Listing { get; } = listing;
        public DateTimeOffset FreshUntil { get; } = freshUntil;
        public int Pages { get; } = pages;

        /// <summary>Lookups and stats it answered.</summary>
        public int Uses;

        /// <summary>Read whole by <c>opendir</c>.</summary>
        public bool ReadWhole { get; set; }

        /// <summary>The same listing, as old, with a change this mount made.</summary>
        public CachedListing With(TListing changed) => new(changed, FreshUntil, Pages) { Uses = Volatile.Read(ref Uses), ReadWhole = ReadWhole };
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

    /// <summary>A listing on its way, and the changes this mount made in the directory meanwhile.</summary>
    private sealed class Refresh
    {
        public Task<TListing> Task { get; set; } = null!;
        public List<Func<TListing, TListing>> Changes { get; } = new();
        public bool Invalidated { get; set; }
    }
}
