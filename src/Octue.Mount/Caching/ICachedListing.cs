using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// A directory's listing as the layer above builds it (what it shows, and how, is its business), changed by the
/// metadata cache for what this mount does through the store: an object written, a sub-directory appearing, a name
/// removed. Each change gives a new listing (listings are snapshots shared by readers).
/// </summary>
internal interface ICachedListing<TSelf> where TSelf : class, ICachedListing<TSelf>
{
    /// <summary>About how many entries the listing holds: its cost in the cache, and how many pages it took.</summary>
    int ApproximateCount { get; }

    /// <summary>The listing with the object <paramref name="info"/> shown as <paramref name="leaf"/> (unchanged when the name cannot be shown).</summary>
    TSelf WithObject(string leaf, ObjectInfo info);

    /// <summary>The listing with the sub-directory <paramref name="leaf"/> (its objects under <paramref name="prefix"/>), with its placeholder when known.</summary>
    TSelf WithDirectory(string leaf, string bucket, string prefix, ObjectInfo? placeholder);

    /// <summary>The listing with the directory's own placeholder object replaced (null: it has none).</summary>
    TSelf WithPlaceholder(ObjectInfo? placeholder);

    /// <summary>The listing without <paramref name="leaf"/>.</summary>
    TSelf Without(string leaf);
}
