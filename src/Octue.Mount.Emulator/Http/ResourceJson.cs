using System.Globalization;
using System.Text.Json;
using Octue.Mount.Integrity;

namespace Octue.Mount.Emulator;

/// <summary>The JSON resources of the API: int64 as strings, hashes as base64, times in RFC 3339.</summary>
internal static class ResourceJson
{
    public static void WriteObject(Utf8JsonWriter w, StoredObject o, string baseUrl, FieldSelection? fields = null)
    {
        w.WriteStartObject();
        WriteObjectFields(w, o, baseUrl, fields);
        w.WriteEndObject();
    }

    /// <summary>The object's fields, those <paramref name="fields"/> selects (all when null).</summary>
    public static void WriteObjectFields(Utf8JsonWriter w, StoredObject o, string baseUrl, FieldSelection? fields = null)
    {
        var f = fields ?? FieldSelection.All;
        var escapedName = Uri.EscapeDataString(o.Name);
        var generation = o.Generation.ToString(CultureInfo.InvariantCulture);
        if (f.Has("kind"))
            w.WriteString("kind", "storage#object");
        if (f.Has("id"))
            w.WriteString("id", $"{o.Bucket}/{o.Name}/{generation}");
        if (f.Has("selfLink"))
            w.WriteString("selfLink", $"{baseUrl}storage/v1/b/{o.Bucket}/o/{escapedName}");
        if (f.Has("mediaLink"))
            w.WriteString("mediaLink", $"{baseUrl}download/storage/v1/b/{o.Bucket}/o/{escapedName}?generation={generation}&alt=media");
        if (f.Has("name"))
            w.WriteString("name", o.Name);
        if (f.Has("bucket"))
            w.WriteString("bucket", o.Bucket);
        if (f.Has("generation"))
            w.WriteString("generation", generation);
        if (f.Has("metageneration"))
            w.WriteString("metageneration", o.Metageneration.ToString(CultureInfo.InvariantCulture));
        if (f.Has("contentType"))
            w.WriteString("contentType", o.ContentType);
        if (o.ContentEncoding is not null && f.Has("contentEncoding"))
            w.WriteString("contentEncoding", o.ContentEncoding);
        if (o.ContentDisposition is not null && f.Has("contentDisposition"))
            w.WriteString("contentDisposition", o.ContentDisposition);
        if (o.ContentLanguage is not null && f.Has("contentLanguage"))
            w.WriteString("contentLanguage", o.ContentLanguage);
        if (o.CacheControl is not null && f.Has("cacheControl"))
            w.WriteString("cacheControl", o.CacheControl);
        if (f.Has("storageClass"))
            w.WriteString("storageClass", o.StorageClass);
        if (f.Has("size"))
            w.WriteString("size", o.Size.ToString(CultureInfo.InvariantCulture));
        if (o.Md5 is not null && f.Has("md5Hash"))
            w.WriteString("md5Hash", Convert.ToBase64String(o.Md5));
        if (f.Has("crc32c"))
            w.WriteString("crc32c", GcsHash.ToBase64(o.Crc32c));
        if (o.ComponentCount is { } components && f.Has("componentCount"))
            w.WriteNumber("componentCount", components);
        if (f.Has("etag"))
            w.WriteString("etag", ETag.Of(o));
        if (f.Has("timeCreated"))
            w.WriteString("timeCreated", Rfc3339(o.TimeCreated));
        if (f.Has("updated"))
            w.WriteString("updated", Rfc3339(o.Updated));
        if (f.Has("timeStorageClassUpdated"))
            w.WriteString("timeStorageClassUpdated", Rfc3339(o.TimeCreated));
        if (o.Metadata.Count > 0 && f.Has("metadata"))
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
