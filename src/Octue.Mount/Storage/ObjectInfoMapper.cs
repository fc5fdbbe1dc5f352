using Octue.Mount.Integrity;
using GcsObject = Google.Apis.Storage.v1.Data.Object;

namespace Octue.Mount.Storage;

/// <summary>Converts the client library's object resource into the store's <see cref="ObjectInfo"/>.</summary>
internal static class ObjectInfoMapper
{
    public static ObjectInfo ToInfo(GcsObject source, string? bucketFallback = null) => new()
    {
        Bucket = source.Bucket ?? bucketFallback ?? string.Empty,
        Name = source.Name,
        Size = (long)(source.Size ?? 0),
        Generation = source.Generation ?? 0,
        Metageneration = source.Metageneration ?? 0,
        Crc32c = string.IsNullOrEmpty(source.Crc32c) ? null : GcsHash.ParseCrc32c(source.Crc32c),
        Md5 = string.IsNullOrEmpty(source.Md5Hash) ? null : GcsHash.ParseMd5(source.Md5Hash),
        ContentType = source.ContentType,
        Metadata = source.Metadata is { Count: > 0 } metadata
            ? new Dictionary<string, string>(metadata, StringComparer.Ordinal)
            : ObjectInfo.EmptyMetadata,
        Updated = source.UpdatedDateTimeOffset ?? default,
        Created = source.TimeCreatedDateTimeOffset ?? default,
        StorageClass = source.StorageClass,
        ETag = source.ETag,
    };

    public static string Uri(string bucket, string name) => $"gs://{bucket}/{name}";
}
