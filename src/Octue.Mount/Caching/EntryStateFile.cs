using System.Text.Json;
using System.Text.Json.Serialization;

namespace Octue.Mount.Caching;

/// <summary>
/// <c>state.json</c> beside an object's chunk files: which object generation the folder holds, how it is cut, and
/// whether its bytes were verified (with the chunk CRCs that proved it, so a re-download of a verified object is
/// checked chunk by chunk). Written to a temporary file and renamed, so a crash leaves the old or the new state.
/// </summary>
internal sealed record EntryStateFile
{
    public const string FileName = "state.json";
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;
    public required string Bucket { get; init; }
    public required string Name { get; init; }
    public long Generation { get; init; }
    public long? Size { get; init; }
    public int? ChunkSize { get; init; }
    public uint? Crc32c { get; init; }
    public byte[]? Md5 { get; init; }
    public IntegrityState Integrity { get; init; }
    public uint[]? ChunkCrcs { get; init; }
    /// <summary>Length of <c>object.data</c>, the whole object in one checked file (served by FUSE passthrough), when there is one.</summary>
    public long? WholeFileLength { get; init; }
    /// <summary>Its last-write time (UTC ticks) when it was checked: a file changed since is not trusted.</summary>
    public long? WholeFileWrittenTicks { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static EntryStateFile? TryRead(string path)
    {
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            EntryStateFile? state = JsonSerializer.Deserialize<EntryStateFile>(bytes, JsonOptions);
            return state is { Version: CurrentVersion } ? state : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public async Task WriteAsync(string path, CancellationToken ct)
    {
        string temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await using (FileStream stream = new(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
        {
            await JsonSerializer.SerializeAsync(stream, this, JsonOptions, ct).ConfigureAwait(false);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
