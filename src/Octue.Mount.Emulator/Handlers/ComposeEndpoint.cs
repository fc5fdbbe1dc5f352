using System.Text.Json;
using Octue.Mount.Integrity;

namespace Octue.Mount.Emulator;

/// <summary>
/// objects.compose: the destination is the concatenation of up to 32 source objects. Like GCS, a composed
/// object has a CRC32C and no MD5.
/// </summary>
internal static class ComposeEndpoint
{
    private const int MaxSources = 32;

    public static async Task ComposeAsync(EmulatorContext c)
    {
        var (bucket, name) = (c.Route.Bucket!, c.Route.Object!);
        if (GcsNameRules.CheckObjectName(name) is { } problem)
            throw GcsException.BadRequest(problem);
        using var body = await RequestBody.ReadJsonAsync(c.Request, c.Aborted).ConfigureAwait(false)
            ?? throw GcsException.BadRequest("compose needs a body with sourceObjects.");
        var root = body.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("sourceObjects", out var sourcesElement)
            || sourcesElement.ValueKind != JsonValueKind.Array)
        {
            throw GcsException.BadRequest("compose needs a 'sourceObjects' array.");
        }
        var count = sourcesElement.GetArrayLength();
        if (count == 0 || count > MaxSources)
            throw GcsException.BadRequest($"compose takes 1 to {MaxSources} source objects, not {count}.");

        var sources = new List<StoredObject>(count);
        long total = 0;
        var components = 0;
        foreach (var element in sourcesElement.EnumerateArray())
        {
            var sourceName = element.TryGetProperty("name", out var n) ? n.GetString() : null;
            if (string.IsNullOrEmpty(sourceName))
                throw GcsException.BadRequest("Every source object needs a name.");
            var source = c.Require(c.Store.Get(bucket, sourceName), bucket, sourceName);
            if (!GenerationSelector.Selects(GenerationSelector.Normalize(LongProperty(element, "generation")), source))
                throw GcsException.NoSuchObject(bucket, sourceName);
            if (element.TryGetProperty("objectPreconditions", out var preconditions)
                && LongProperty(preconditions, "ifGenerationMatch") is { } match && match != source.Generation)
                throw GcsException.PreconditionFailed();
            sources.Add(source);
            total += source.Size;
            components += source.ComponentCount ?? 1;
        }
        if (total > Array.MaxLength)
            throw GcsException.BadRequest("The composed object would be more than this emulator holds in one object.");

        var data = GC.AllocateUninitializedArray<byte>((int)total);
        var offset = 0;
        uint crc = 0;
        foreach (var source in sources)
        {
            foreach (var piece in source.Bytes.Pieces)
            {
                piece.CopyTo(data, offset);
                crc = Crc32C.Append(crc, piece);
                offset += piece.Length;
            }
        }

        ObjectResourceInput destination;
        using (var destinationDocument = root.TryGetProperty("destination", out var d) ? JsonDocument.Parse(d.GetRawText()) : null)
            destination = ObjectResourceInput.Parse(destinationDocument);
        var attributes = destination.ForNewObject(sources[0].ContentType);
        var stored = c.Require(
            c.Store.Insert(bucket, name, ObjectBytes.Of(data), crc, null, attributes, QueryParameters.Preconditions(c.Request), components),
            bucket, name);
        await c.Store.PersistObjectAsync(bucket, name, CancellationToken.None).ConfigureAwait(false);
        await c.WriteObjectAsync(stored).ConfigureAwait(false);
    }

    private static long? LongProperty(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value))
            return null;
        return value.ValueKind switch
        {
            JsonValueKind.Number => value.GetInt64(),
            JsonValueKind.String when long.TryParse(value.GetString(), out var parsed) => parsed,
            _ => throw GcsException.BadRequest($"'{name}' must be an integer."),
        };
    }
}
