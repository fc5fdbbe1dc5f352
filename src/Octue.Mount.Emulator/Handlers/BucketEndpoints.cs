namespace Octue.Mount.Emulator;

/// <summary>buckets.insert, buckets.list, buckets.get, buckets.delete.</summary>
internal static class BucketEndpoints
{
    public static Task ListAsync(EmulatorContext c)
    {
        var buckets = c.Store.Buckets();
        return JsonReplies.WriteAsync(c.Http, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("kind", "storage#buckets");
            if (buckets.Count > 0)
            {
                w.WriteStartArray("items");
                foreach (var bucket in buckets)
                    ResourceJson.WriteBucket(w, bucket, c.BaseUrl);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        });
    }

    public static async Task InsertAsync(EmulatorContext c)
    {
        using var body = await RequestBody.ReadJsonAsync(c.Request, c.Aborted).ConfigureAwait(false);
        string? name = null;
        if (body is not null && body.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
            && body.RootElement.TryGetProperty("name", out var nameElement))
            name = nameElement.GetString();
        if (GcsNameRules.CheckBucketName(name) is { } problem)
            throw GcsException.BadRequest(problem);
        if (!c.Store.TryCreateBucket(name!))
            throw new GcsException(409, "conflict", "Your previous request to create the named bucket succeeded and you already own it.");
        await JsonReplies.WriteAsync(c.Http, 200, w => ResourceJson.WriteBucket(w, c.Store.GetBucket(name!)!, c.BaseUrl)).ConfigureAwait(false);
    }

    public static Task GetAsync(EmulatorContext c)
    {
        var bucket = c.Store.GetBucket(c.Route.Bucket!) ?? throw GcsException.NoSuchBucket(c.Route.Bucket!);
        return JsonReplies.WriteAsync(c.Http, 200, w => ResourceJson.WriteBucket(w, bucket, c.BaseUrl));
    }

    public static Task DeleteAsync(EmulatorContext c)
    {
        var status = c.Store.DeleteBucket(c.Route.Bucket!);
        if (status != StoreStatus.Ok)
            throw GcsException.From(status, c.Route.Bucket!, null);
        return JsonReplies.WriteEmptyAsync(c.Http, 204);
    }
}
