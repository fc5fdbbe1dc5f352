namespace Octue.Mount.Vfs;

/// <summary>The extended attribute names of DESIGN.md's table.</summary>
internal static class XattrNames
{
    public const string OctueId = "user.octue.id";
    public const string OctueTimestamp = "user.octue.timestamp";
    public const string OctueTags = "user.octue.tags";
    public const string OctueTagPrefix = "user.octue.tags.";
    public const string OctueLabels = "user.octue.labels";
    public const string OctueName = "user.octue.name";
    public const string OctueIntegrity = "user.octue.integrity";

    public const string GcsUri = "user.gcs.uri";
    public const string GcsGeneration = "user.gcs.generation";
    public const string GcsMetageneration = "user.gcs.metageneration";
    public const string GcsCrc32c = "user.gcs.crc32c";
    public const string GcsMd5 = "user.gcs.md5";
    public const string GcsSize = "user.gcs.size";
    public const string GcsUpdated = "user.gcs.updated";
    public const string GcsStorageClass = "user.gcs.storage_class";
    public const string GcsContentType = "user.gcs.content_type";
    public const string GcsMetaPrefix = "user.gcs.meta.";

    /// <summary>Names that describe the stored object and cannot be written (EPERM).</summary>
    public static bool IsReadOnly(string name) => name is GcsUri or GcsGeneration or GcsMetageneration or GcsCrc32c or GcsMd5
        or GcsSize or GcsUpdated or GcsStorageClass or OctueIntegrity;
}
