using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Octue.Mount.Caching;

/// <summary>
/// The folders of staged writes (<c>CACHE/staging/</c>) and of kept conflict copies (<c>CACHE/conflicts/</c>).
/// A staged file is <c>ID.data</c> with its <c>ID.json</c> sidecar, written first. A copy that lost a race moves
/// to <c>conflicts/BUCKET/TIME-ID-ESCAPED_OBJECT_NAME</c> with a <c>.json</c> description beside it; the file name
/// is percent-escaped, so no object name can place it outside that folder.
/// </summary>
internal sealed class StagingArea
{
    private const string DataExtension = ".data";
    private const string SidecarExtension = ".json";

    public StagingArea(string cacheDirectory)
    {
        StagingDirectory = Path.Combine(cacheDirectory, "staging");
        ConflictsDirectory = Path.Combine(cacheDirectory, "conflicts");
        Directory.CreateDirectory(StagingDirectory);
    }

    public string StagingDirectory { get; }
    public string ConflictsDirectory { get; }

    /// <summary>
    /// Bytes of the staged data files now in the folder. Measured when a metrics reader asks (a scrape, every few
    /// seconds at most), never on the file system's own paths; a file that goes away while it is counted counts 0.
    /// </summary>
    public long MeasureStagedBytes()
    {
        long total = 0;
        try
        {
            foreach (var file in new DirectoryInfo(StagingDirectory).EnumerateFiles("*" + DataExtension))
            {
                try
                {
                    total += file.Length;
                }
                catch (IOException)
                {
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return total;
    }

    /// <summary>Creates an empty staged file for an object; the sidecar is on disk before the data file exists.</summary>
    public async Task<StagedFile> CreateAsync(string bucket, string objectName, long baseGeneration, string? contentType,
        IReadOnlyDictionary<string, string> metadata, CancellationToken ct, long? baseMetageneration = null)
    {
        var id = Guid.NewGuid().ToString("N");
        var sidecarPath = Path.Combine(StagingDirectory, id + SidecarExtension);
        var dataPath = Path.Combine(StagingDirectory, id + DataExtension);
        var sidecar = new StagingSidecar
        {
            Bucket = bucket,
            ObjectName = objectName,
            BaseGeneration = baseGeneration,
            ContentType = contentType,
            Metadata = new Dictionary<string, string>(metadata, StringComparer.Ordinal),
            BaseMetageneration = baseMetageneration,
            BaseMetadata = baseMetageneration is null ? null : new Dictionary<string, string>(metadata, StringComparer.Ordinal),
            BaseContentType = baseGeneration == 0 ? null : contentType,
            // A new object's bytes are new from the start: its mtime is its data file's, even before a write.
            BytesChanged = baseGeneration == 0,
            // A copy of an existing object holds nothing to upload until its first change is recorded, which
            // happens before that change's first byte. Until then (while the object's bytes are copied in, say) a
            // crash leaves a copy that recovery deletes instead of uploading a partial object over the real one.
            Clean = baseGeneration != 0,
        };
        // The data file is created (empty, and held open: its lock tells other mounts it is in use) before the
        // sidecar, and the sidecar is on disk before the first byte is written.
        var handle = File.OpenHandle(dataPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, FileOptions.Asynchronous);
        try
        {
            await sidecar.WriteAsync(sidecarPath, durable: false, ct).ConfigureAwait(false);
        }
        catch
        {
            handle.Dispose();
            File.Delete(dataPath);
            throw;
        }

        return new StagedFile(dataPath, sidecarPath, handle, sidecar);
    }

    /// <summary>
    /// Moves a staged file that cannot be uploaded (a lost race, a refusal) into conflicts/ and returns where it now
    /// is; it is closed once moved. A move that fails leaves it open and in place (its handle allows the move).
    /// </summary>
    public string KeepConflict(StagedFile staged, string reason)
    {
        var kept = KeepConflict(staged.DataPath, staged.SidecarPath, staged.Sidecar, reason);
        staged.Dispose();
        return kept;
    }

    /// <summary>
    /// Opens a staged file a previous run left behind, to recover it. It is held open as a live one is, so another
    /// mount sharing the cache folder leaves it alone meanwhile.
    /// </summary>
    public static StagedFile OpenLeftover(string dataPath, string sidecarPath, StagingSidecar sidecar)
    {
        var handle = File.OpenHandle(dataPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.Asynchronous);
        try
        {
            return new StagedFile(dataPath, sidecarPath, handle, sidecar, RandomAccess.GetLength(handle));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Moves staged bytes into conflicts/ (with a description) and deletes their sidecar.</summary>
    public string KeepConflict(string dataPath, string sidecarPath, StagingSidecar sidecar, string reason)
    {
        var folder = Path.Combine(ConflictsDirectory, Escape(sidecar.Bucket, 63));
        Directory.CreateDirectory(folder);
        var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var fileName = $"{stamp}-{Path.GetFileNameWithoutExtension(dataPath)[..8]}-{Escape(sidecar.ObjectName, 180)}";
        var target = Path.Combine(folder, fileName);
        File.Move(dataPath, target, overwrite: false);
        var description = new Dictionary<string, object?>
        {
            ["uri"] = $"gs://{sidecar.Bucket}/{sidecar.ObjectName}",
            ["baseGeneration"] = sidecar.BaseGeneration,
            ["reason"] = reason,
            ["keptUtc"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        };
        try
        {
            File.WriteAllText(target + ".json", JsonSerializer.Serialize(description, StagingJsonContext.Default.DictionaryStringObject));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The bytes are safe (moved, which needs no space); the description is a convenience the log repeats.
            TryDelete(target + ".json");
        }

        TryDelete(sidecarPath);
        return target;
    }

    /// <summary>
    /// True when a running process (this one or another mount sharing the cache folder) holds the staged file open:
    /// it is being written, not left behind.
    /// </summary>
    public static bool IsInUse(string dataPath)
    {
        try
        {
            using var probe = new FileStream(dataPath, FileMode.Open, FileAccess.Read, FileShare.None, 1);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>
    /// Data files without a sidecar, which hold nothing to upload: an empty one left by a stop between its creation
    /// and its sidecar's, or a copy whose upload was confirmed while it stayed open (the sidecar is removed then,
    /// <see cref="StagedFile.MarkUploadedAsync(long, CancellationToken)"/>; a change writes it again before its
    /// first byte). Also sidecars cut short while being written (<c>ID.json.tmp</c>: the sidecar they were to
    /// replace, if any, is intact).
    /// </summary>
    public void DeleteOrphans()
    {
        foreach (var dataPath in Directory.EnumerateFiles(StagingDirectory, "*" + DataExtension))
        {
            if (!File.Exists(Path.ChangeExtension(dataPath, SidecarExtension)) && !IsInUse(dataPath))
            {
                TryDelete(dataPath);
            }
        }

        foreach (var temporary in Directory.EnumerateFiles(StagingDirectory, "*" + SidecarExtension + StagingSidecar.TemporarySuffix))
        {
            // ID.json.tmp -> ID.data: a mount sharing this folder may be writing it right now.
            var dataPath = Path.ChangeExtension(temporary[..^StagingSidecar.TemporarySuffix.Length], DataExtension);
            if (!IsInUse(dataPath))
            {
                TryDelete(temporary);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Staged files left by a process that stopped before their upload was confirmed.</summary>
    public List<(string DataPath, string SidecarPath, StagingSidecar? Sidecar)> FindLeftovers()
    {
        var result = new List<(string, string, StagingSidecar?)>();
        foreach (var sidecarPath in Directory.EnumerateFiles(StagingDirectory, "*" + SidecarExtension))
        {
            var dataPath = Path.ChangeExtension(sidecarPath, DataExtension);
            result.Add((dataPath, sidecarPath, StagingSidecar.TryRead(sidecarPath)));
        }

        return result;
    }

    /// <summary>Percent-escapes everything but ASCII letters, digits, '-', '_' and '.', so the result is one safe file name.</summary>
    internal static string Escape(string name, int maxLength)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        var escaped = builder.Length > maxLength ? builder.ToString(0, maxLength) : builder.ToString();
        // Never "", "." or "..": a name made only of dots gets a leading underscore.
        return escaped.Length == 0 || escaped.Trim('.').Length == 0 ? "_" + escaped : escaped;
    }
}
