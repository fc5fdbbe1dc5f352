namespace Octue.Mount.Storage;

/// <summary>The values of the <c>kind</c> tag of <c>octue.mount.store.requests</c> (docs/metrics.md lists them).</summary>
internal static class StoreRequestKind
{
    public const string List = "list";
    public const string Stat = "stat";
    /// <summary>A download: a whole object or one range of it.</summary>
    public const string Read = "read";
    public const string Upload = "upload";
    public const string Patch = "patch";
    public const string Copy = "copy";
    public const string Delete = "delete";
    public const string ListBuckets = "list_buckets";
    public const string CreateBucket = "create_bucket";
}
