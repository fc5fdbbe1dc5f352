namespace Octue.Mount.Emulator;

/// <summary>objects.get (metadata), objects.patch, objects.update and objects.delete.</summary>
internal static class ObjectEndpoints
{
    public static Task GetAsync(EmulatorContext c) => c.WriteObjectAsync(Resolve(c));

    /// <summary>The object a read targets, after the <c>generation</c> selector and the preconditions.</summary>
    public static StoredObject Resolve(EmulatorContext c)
    {
        var (bucket, name) = (c.Route.Bucket!, c.Route.Object!);
        var obj = c.Require(c.Store.Get(bucket, name), bucket, name);
        if (!GenerationSelector.Selects(GenerationSelector.Read(c.Request), obj))
            throw GcsException.NoSuchObject(bucket, name);
        if (!QueryParameters.Preconditions(c.Request).IsSatisfiedBy(obj))
            throw GcsException.PreconditionFailed();
        return obj;
    }

    public static async Task PatchAsync(EmulatorContext c)
    {
        var (bucket, name) = (c.Route.Bucket!, c.Route.Object!);
        ObjectResourceInput input;
        using (var body = await RequestBody.ReadJsonAsync(c.Request, c.Aborted).ConfigureAwait(false))
            input = ObjectResourceInput.Parse(body);
        var result = c.Store.UpdateAttributes(bucket, name, GenerationSelector.Read(c.Request), QueryParameters.Preconditions(c.Request), IfMatch(c),
            current => input.MergeInto(current.Attributes));
        var updated = c.Require(result, bucket, name);
        await c.Store.PersistObjectAsync(bucket, name, CancellationToken.None).ConfigureAwait(false);
        await c.WriteObjectAsync(updated).ConfigureAwait(false);
    }

    public static async Task UpdateAsync(EmulatorContext c)
    {
        var (bucket, name) = (c.Route.Bucket!, c.Route.Object!);
        ObjectResourceInput input;
        using (var body = await RequestBody.ReadJsonAsync(c.Request, c.Aborted).ConfigureAwait(false))
            input = ObjectResourceInput.Parse(body);
        var result = c.Store.UpdateAttributes(bucket, name, GenerationSelector.Read(c.Request), QueryParameters.Preconditions(c.Request), IfMatch(c),
            _ => input.Replacement());
        var updated = c.Require(result, bucket, name);
        await c.Store.PersistObjectAsync(bucket, name, CancellationToken.None).ConfigureAwait(false);
        await c.WriteObjectAsync(updated).ConfigureAwait(false);
    }

    public static async Task DeleteAsync(EmulatorContext c)
    {
        var (bucket, name) = (c.Route.Bucket!, c.Route.Object!);
        c.Require(c.Store.Delete(bucket, name, GenerationSelector.Read(c.Request), QueryParameters.Preconditions(c.Request)), bucket, name);
        await c.Store.PersistObjectAsync(bucket, name, CancellationToken.None).ConfigureAwait(false);
        await JsonReplies.WriteEmptyAsync(c.Http, 204).ConfigureAwait(false);
    }

    /// <summary>The ETag of an <c>If-Match</c> header, without quotes (clients send it on PUT).</summary>
    private static string? IfMatch(EmulatorContext c)
    {
        var header = c.Request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(header) || header.Trim() == "*")
            return null;
        var value = header.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
            value = value[2..];
        return value.Trim('"');
    }
}
