using System.Globalization;
using System.Text.Json;
using Octue.Mount.Integrity;

namespace Octue.Mount.Emulator;

/// <summary>The JSON resources of the API: int64 as strings, hashes as base64, times in RFC 3339.</summary>
internal static class ResourceJson
{
    public static void WriteObject(Utf8JsonWriter w, StoredObject o, string baseUrl)
    {
        w.WriteStartObject();
        WriteObjectFields(w, o, baseUrl);
        w.WriteEndObject();
    }

    public static void WriteObjectFields(Utf8JsonWriter w, StoredObject o, string baseUrl)
    {
        var escapedName = Uri.EscapeDataString(o.Name);
        var generation = o.Generation.ToString(CultureInfo.InvariantCulture);
        w.WriteString("kind", "storage#object");
        w.WriteString("id", $"{o.Bucket}/{o.Name}/{generation}");
        w.WriteString("selfLink", $"{baseUrl}storage/v1/b/{o.Bucket}/o/{escapedName}");
        w.WriteString("mediaLink", $"{baseUrl}download/storage/v1/b/{o.Bucket}/o/{escapedName}?generation={generation}&alt=media");
        w.WriteString("name", o.Name);
        w.WriteString("bucket", o.Bucket);
        w.WriteString("generation", generation);
        w.WriteString("metageneration", o.Metageneration.ToString(CultureInfo.InvariantCulture));
        w.WriteString("contentType", o.ContentType);
        if (o.ContentEncoding is not null)
            w.WriteString("contentEncoding", o.ContentEncoding);
        if (o.ContentDisposition is not null)
            w.WriteString("contentDisposition", o.ContentDisposition);
        if (o.ContentLanguage is not null)
            w.WriteString("contentLanguage", o.ContentLanguage);
        if (o.CacheControl is not null)
            w.WriteString("cacheControl", o.CacheControl);
        w.WriteString("storageClass", o.StorageClass);
        w.WriteString("size", o.Size.ToString(CultureInfo.InvariantCulture));
        if (o.Md5 is not null)
            w.WriteString("md5Hash", Convert.ToBase64String(o.Md5));
        w.WriteString("crc32c", GcsHash.ToBase64(o.Crc32c));
        if (o.ComponentCount is { } components)
            w.WriteNumber("componentCount", components);
        w.WriteString("etag", ETag.Of(o));
        w.WriteString("timeCreated", Rfc3339(o.TimeCreated));
        w.WriteString("updated", Rfc3339(o.Updated));
        w.WriteString("timeStorageClassUpdated", Rfc3339(o.TimeCreated));
        if (o.Metadata.Count > 0)
        {
            w.WriteStartObject("metadata");
            foreach (var (key, value) in o.Metadata)
                w.WriteString(key, value);
            w.WriteEndObject();
        }
    }

    public static void WriteBucket(Utf8JsonWriter w, BucketState b, string baseUrl)
    {
        w.WriteStartObject();
        w.WriteString("kind", "storage#bucket");
        w.WriteString("id", b.Name);
        w.WriteString("selfLink", $"{baseUrl}storage/v1/b/{b.Name}");
        w.WriteString("projectNumber", "0");
        w.WriteString("name", b.Name);
        w.WriteString("timeCreated", Rfc3339(b.TimeCreated));
        w.WriteString("updated", Rfc3339(b.TimeCreated));
        w.WriteString("metageneration", "1");
        w.WriteString("location", "US");
        w.WriteString("locationType", "multi-region");
        w.WriteString("storageClass", "STANDARD");
        w.WriteString("etag", "CAE=");
        w.WriteEndObject();
    }

    public static string Rfc3339(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
