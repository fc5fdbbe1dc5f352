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

    /// <summary>The base object's content type (null for a new object and in older sidecars): a change made elsewhere is kept unless this copy changed it.</summary>
    public string? BaseContentType { get; set; }

    public string? ContentType { get; set; }
    public Dictionary<string, string> Metadata { get; set; } = new();

    /// <summary>True when the staged bytes are already the object's (uploaded and not written since).</summary>
    public bool Clean { get; set; }

    /// <summary>
    /// True once the staged bytes were written, truncated or extended since their base (a new object's from the
    /// start). Then the staged data file's own last-write time, which the local file system keeps at every write
    /// for free, is the file's mtime; recording each write here would cost a durable sidecar rewrite per write.
    /// </summary>
    public bool BytesChanged { get; set; }

    /// <summary>
    /// True when the mtime in <see cref="Metadata"/> was set explicitly (utimes) after the last change of the bytes:
    /// then it, not the data file's last-write time, is the mtime a recovery uploads.
    /// </summary>
    public bool ModifiedExplicitly { get; set; }

    /// <summary>
    /// True once the file lost its name while open (unlink, or a rename over it): its bytes go nowhere, as on a local
    /// disk, and a start after a crash deletes them rather than bringing the file back.
    /// </summary>
    public bool Unlinked { get; set; }

    public DateTimeOffset CreatedUtc { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The sidecar at <paramref name="path"/>, or null when it cannot be read or does not describe an upload.</summary>
    public static StagingSidecar? TryRead(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var sidecar = JsonSerializer.Deserialize(stream, StagingJsonContext.Default.StagingSidecar);
            // JSON that parses can still be damaged: without a bucket, a name and a metadata map there is no upload
            // to finish, only bytes to keep.
            return sidecar is { Bucket.Length: > 0, ObjectName.Length: > 0, Metadata: not null } ? sidecar : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Writes the sidecar atomically (temporary file, then renamed over the old one), so a process that stops at any
    /// point leaves the old sidecar or the new one, whole. When that fails (a full disk), the temporary file is
    /// removed and the old sidecar stays as it was.
    /// </summary>
    /// <param name="path">The sidecar's path.</param>
    /// <param name="durable">
    /// Also flush it to the disk before the rename, so it survives a crash of the machine itself (power loss, kernel
    /// panic). Only a record whose loss would do harm there asks for it (a file that lost its name must not come back).
    /// The sidecars written while a file is created and written need not: the staged bytes they describe are not
    /// flushed to the disk either (close waits for GCS, not for the local disk), so such a crash loses those unsaved
    /// bytes whatever the sidecar says; a process that stops (a kill, a crash of the daemon) loses neither, the page
    /// cache keeps both.
    /// </param>
    /// <param name="ct">Cancels the write; the old sidecar then stays.</param>
    public async Task WriteAsync(string path, bool durable, CancellationToken ct)
    {
        var temporary = path + TemporarySuffix;
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, useAsync: true))
            {
                await JsonSerializer.SerializeAsync(stream, this, StagingJsonContext.Default.StagingSidecar, ct).ConfigureAwait(false);
                await stream.FlushAsync(ct).ConfigureAwait(false);
                if (durable)
                {
                    stream.Flush(flushToDisk: true);
                }
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left for the next start's clean-up of staging/.
            }

            throw;
        }
    }

    /// <summary>The suffix of a sidecar being written (<c>ID.json.tmp</c>).</summary>
    public const string TemporarySuffix = ".tmp";
}

[JsonSerializable(typeof(StagingSidecar))]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(string))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class StagingJsonContext : JsonSerializerContext;
