namespace Octue.Mount.Emulator;

/// <summary>
/// objects.rewrite and objects.copy: a server-side copy, done in one step (<c>done: true</c>). The destination
/// gets a new generation; its metadata is the source's unless the request body gives some.
/// </summary>
internal static class CopyEndpoints
{
    public static async Task RewriteAsync(EmulatorContext c)
    {
        var stored = await CopyAsync(c).ConfigureAwait(false);
        var size = stored.Size.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await JsonReplies.WriteAsync(c.Http, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("kind", "storage#rewriteResponse");
            w.WriteString("totalBytesRewritten", size);
            w.WriteString("objectSize", size);
            w.WriteBoolean("done", true);
            w.WriteStartObject("resource");
            ResourceJson.WriteObjectFields(w, stored, c.BaseUrl);
            w.WriteEndObject();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    public static async Task CopyToAsync(EmulatorContext c) =>
        await c.WriteObjectAsync(await CopyAsync(c).ConfigureAwait(false)).ConfigureAwait(false);

    private static async Task<StoredObject> CopyAsync(EmulatorContext c)
    {
        var route = c.Route;
        var (sourceBucket, sourceName) = (route.Bucket!, route.Object!);
        var (destinationBucket, destinationName) = (route.DestinationBucket!, route.DestinationObject!);
        if (GcsNameRules.CheckObjectName(destinationName) is { } problem)
            throw GcsException.BadRequest(problem);
        ObjectResourceInput input;
        using (var body = await RequestBody.ReadJsonAsync(c.Request, c.Aborted).ConfigureAwait(false))
            input = ObjectResourceInput.Parse(body);

        var source = c.Require(c.Store.Get(sourceBucket, sourceName), sourceBucket, sourceName);
        if (!GenerationSelector.Selects(GenerationSelector.Read(c.Request, "sourceGeneration"), source))
            throw GcsException.NoSuchObject(sourceBucket, sourceName);
        if (!QueryParameters.SourcePreconditions(c.Request).IsSatisfiedBy(source))
            throw GcsException.PreconditionFailed();
        if (!c.Store.BucketExists(destinationBucket))
            throw GcsException.NoSuchBucket(destinationBucket);

        var attributes = input.HasAnyAttribute ? input.MergeInto(source.Attributes with { Metadata = ObjectAttributes.NoMetadata }) : source.Attributes;
        // Stored bytes never change, so the copy shares them.
        var stored = c.Require(
            c.Store.Insert(destinationBucket, destinationName, source.Bytes, source.Crc32c, source.Md5, attributes,
                QueryParameters.Preconditions(c.Request), source.ComponentCount),
            destinationBucket, destinationName);
        await c.Store.PersistObjectAsync(destinationBucket, destinationName, CancellationToken.None).ConfigureAwait(false);
        return stored;
    }
}
