using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// What the metadata cache knows, for the questions a file system answers without a request: a lookup or a stat
/// served from a fresh listing or a cached stat (positive or negative), whether a directory is being walked, a folder
/// this mount made (known empty). What goes through the store (<see cref="MetadataCachingStore{TListing}"/>) keeps it
/// current by itself; the calls here that change it are for what only the caller knows (a rename moves names, a
/// download found an object gone, a dataset's metadata changed with its directory's projection).
/// </summary>
internal interface IMetadataKnowledge<TListing> where TListing : class, ICachedListing<TListing>
{
    /// <summary>A cached stat: true with <paramref name="info"/> null means "known not to exist".</summary>
    bool TryGetStat(string bucket, string name, out ObjectInfo? info);

    /// <summary>Records what a read learned of an object (null: it does not exist).</summary>
    void PutStat(string bucket, string name, ObjectInfo? info);

    /// <summary>A cached answer to "does anything lie under this prefix?".</summary>
    bool TryGetDirectory(string bucket, string prefix, out bool exists);

    /// <summary>Records what a listing told of a folder: whether anything lies under <paramref name="prefix"/>, and its placeholder object (null: none).</summary>
    void PutFolder(string bucket, string prefix, bool exists, ObjectInfo? placeholder);

    /// <summary>
    /// Asks the store whether anything lies under <paramref name="prefix"/> (one single-entry listing) and records the
    /// answer, and the directory's placeholder object (or its absence), which the same listing shows.
    /// </summary>
    Task<bool> ProbeDirectoryAsync(string bucket, string prefix, CancellationToken ct);

    /// <summary>
    /// Asks the store about a name as an object and as a folder with one listing (<see cref="NameProbe"/>) and records
    /// what it settles: the object's stat always, the folder (and its placeholder's stat) when the page reached it.
    /// </summary>
    Task<NameProbe.Answer> ProbeNameAsync(string bucket, string objectName, CancellationToken ct);

    /// <summary>The directory's listing while it is fresh (with this mount's changes since), counted as a use of it.</summary>
    TListing? TryGetListing(string bucket, string prefix);

    /// <summary>The directory's listing while it is fresh, not counted as a use (attributes of the directory itself).</summary>
    TListing? PeekListing(string bucket, string prefix);

    /// <summary>True when a lookup in this directory should list it whole (it is being walked) rather than ask for one name.</summary>
    bool ShouldRefreshWhole(string bucket, string prefix);

    /// <summary>The directory's fresh listing, else one fetched with <paramref name="list"/> and shared by everyone who asks meanwhile.</summary>
    Task<TListing> GetOrListAsync(string bucket, string prefix, Func<CancellationToken, Task<TListing>> list, bool readWhole, CancellationToken ct);

    /// <summary>
    /// Starts fetching a directory's listing with <paramref name="list"/> unless it is fresh or on its way, without
    /// waiting: whoever asks meanwhile shares it. False when nothing was started (or the cache is off).
    /// </summary>
    bool TryStartListing(string bucket, string prefix, Func<CancellationToken, Task<TListing>> list);

    /// <summary>A listing known complete without asking the store (a directory this mount just made is empty), fresh for the TTL.</summary>
    void PutListing(string bucket, string prefix, TListing listing);

    /// <summary>Records a directory this mount removed (rmdir): known missing, gone from its parent's listing.</summary>
    void DirectoryRemoved(string bucket, string prefix);

    /// <summary>Forgets what is known about an object and the listing of the directory holding it (and its ancestors' existence).</summary>
    void InvalidateObject(string bucket, string name);

    /// <summary>Forgets an object's cached stat.</summary>
    void InvalidateStat(string bucket, string name);

    /// <summary>Forgets a directory's listing (and keeps a listing on its way from being cached).</summary>
    void InvalidateListing(string bucket, string prefix);

    /// <summary>Forgets whether anything lies under a prefix.</summary>
    void InvalidateDirectory(string bucket, string prefix);

    /// <summary>Any other short-lived value (dataset metadata) under a key of its own type.</summary>
    bool TryGet<TValue>(object key, out TValue? value) where TValue : class;

    /// <summary>Keeps a short-lived value for the TTL.</summary>
    void Put<TValue>(object key, TValue? value) where TValue : class;

    /// <summary>Forgets a short-lived value.</summary>
    void Remove(object key);
}
