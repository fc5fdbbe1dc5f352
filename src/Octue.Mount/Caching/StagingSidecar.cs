using System.Text.Json;
using System.Text.Json.Serialization;

namespace Octue.Mount.Caching;

/// <summary>
/// What a staged file is for, written next to it before its first byte so that a crashed process leaves enough to
/// finish (or safely refuse) the upload at the next start.
/// </summary>
internal sealed record StagingSidecar
{
    public required string Bucket { get; set; }
    public required string ObjectName { get; set; }

    /// <summary>The generation the staged copy was based on (0 = a new object); the upload's IfGenerationMatch.</summary>
    public long BaseGeneration { get; set; }

    /// <summary>
    /// The metageneration and metadata of the object the copy is based on, as of staging or of the last merge (null
    /// for a new object, and in sidecars written before they were kept). With them, a recovery after a crash merges
    /// metadata changed elsewhere meanwhile and uploads with IfMetagenerationMatch, as a live upload does.
    /// </summary>
    public long? BaseMetageneration { get; set; }
    public Dictionary<string, string>? BaseMetadata { get; set; }

    public string? ContentType { get; set; }
    public Dictionary<string, string> Metadata { get; set; } = new();

    /// <summary>True when the staged bytes are already the object's (uploaded and not written since).</summary>
    public bool Clean { get; set; }

    public DateTimeOffset CreatedUtc { get; init; } = DateTimeOffset.UtcNow;

    public static StagingSidecar? TryRead(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, StagingJsonContext.Default.StagingSidecar);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes the sidecar atomically (temporary file, flushed to disk, then renamed over the old one).</summary>
    public async Task WriteAsync(string path, CancellationToken ct)
    {
        var temporary = path + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, useAsync: true))
        {
            await JsonSerializer.SerializeAsync(stream, this, StagingJsonContext.Default.StagingSidecar, ct).ConfigureAwait(false);
            await stream.FlushAsync(ct).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}

[JsonSerializable(typeof(StagingSidecar))]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(string))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class StagingJsonContext : JsonSerializerContext;
