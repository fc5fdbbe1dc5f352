using System.Buffers;
using System.Security.Cryptography;
using Octue.Mount.Integrity;
using Octue.Mount.Storage;

namespace Octue.Mount.Octue;

/// <summary>
/// Verified transfer of one file. Uploads hash the local bytes first (CRC32C and MD5), send both so the server
/// refuses corrupt bytes, and compare the stored object's hashes afterwards. Downloads write to a temporary file
/// beside the destination, hash the bytes as they arrive, compare them with the object's CRC32C (MD5 when it has
/// none) and only then move the file into place; on any failure the temporary file is deleted, so a corrupt file
/// is never left behind.
/// </summary>
internal static class FileTransfer
{
    private const int BufferSize = 256 * 1024;

    internal readonly record struct LocalHashes(long Length, uint Crc32c, byte[] Md5);

    public static async Task<LocalHashes> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = OpenRead(path);
        using var hasher = new ContentHasher();
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
                hasher.Append(buffer.AsSpan(0, read));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return new LocalHashes(hasher.Length, hasher.Crc32c, hasher.GetMd5());
    }

    /// <summary>Uploads a local file with its metadata; returns the stored object and whether the bytes were skipped.</summary>
    public static async Task<(ObjectInfo Object, bool Skipped)> UploadFileAsync(IObjectStore store, string localPath,
        CloudPath destination, IReadOnlyDictionary<string, string> metadata, bool skipUnchanged, CancellationToken cancellationToken)
    {
        var hashes = await HashFileAsync(localPath, cancellationToken).ConfigureAwait(false);
        if (skipUnchanged)
        {
            var existing = await store.StatAsync(destination.Bucket, destination.Path, cancellationToken).ConfigureAwait(false);
            if (existing is not null && existing.Size == hashes.Length && existing.Crc32c == hashes.Crc32c)
            {
                if (!HoldsAll(existing.Metadata, metadata))
                    existing = await PatchAsync(store, destination, metadata, cancellationToken).ConfigureAwait(false);
                return (existing, true);
            }
        }

        await using var content = OpenRead(localPath);
        var stored = await store.UploadAsync(destination.Bucket, destination.Path, content,
            new UploadOptions { Metadata = metadata, Crc32c = hashes.Crc32c, Md5 = hashes.Md5 }, cancellationToken).ConfigureAwait(false);
        await EnsureStoredMatchesAsync(store, stored, hashes, destination).ConfigureAwait(false);
        return (stored, false);
    }

    /// <summary>Uploads bytes held in memory (metadata files such as <c>.octue</c> and manifests).</summary>
    public static async Task<ObjectInfo> UploadBytesAsync(IObjectStore store, CloudPath destination, byte[] data,
        string contentType, CancellationToken cancellationToken)
    {
        var hashes = new LocalHashes(data.Length, Crc32C.Compute(data), MD5.HashData(data));
        using var content = new MemoryStream(data, writable: false);
        var stored = await store.UploadAsync(destination.Bucket, destination.Path, content,
            new UploadOptions { ContentType = contentType, Crc32c = hashes.Crc32c, Md5 = hashes.Md5 }, cancellationToken).ConfigureAwait(false);
        await EnsureStoredMatchesAsync(store, stored, hashes, destination).ConfigureAwait(false);
        return stored;
    }

    /// <summary>Copies an object server-side and gives the copy the datafile's metadata (merged over the source's).</summary>
    public static async Task<ObjectInfo> CopyAsync(IObjectStore store, ObjectInfo source, CloudPath destination,
        IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var copy = await store.CopyAsync(source.Bucket, source.Name, destination.Bucket, destination.Path,
            ifSourceGenerationMatch: source.Generation, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (source.Crc32c is { } crc && copy.Crc32c is { } copied && crc != copied)
            throw new CorruptionException($"The copy {destination} does not have the CRC32C of gs://{source.Bucket}/{source.Name}.");
        return HoldsAll(copy.Metadata, metadata) ? copy : await PatchAsync(store, destination, metadata, cancellationToken).ConfigureAwait(false);
    }

    public static Task<ObjectInfo> PatchAsync(IObjectStore store, CloudPath destination, IReadOnlyDictionary<string, string> metadata,
        CancellationToken cancellationToken)
    {
        var patch = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
            patch[key] = value;
        return store.PatchMetadataAsync(destination.Bucket, destination.Path, new MetadataPatch { Metadata = patch },
            cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Downloads an object to <paramref name="localPath"/>, verified; returns true when the download was skipped
    /// because the local file already held the object's bytes.
    /// </summary>
    public static async Task<bool> DownloadAsync(IObjectStore store, ObjectInfo source, string localPath, bool skipUnchanged,
        CancellationToken cancellationToken)
    {
        if (skipUnchanged && File.Exists(localPath) && source.Crc32c is { } expected)
        {
            var local = await HashFileAsync(localPath, cancellationToken).ConfigureAwait(false);
            if (local.Length == source.Size && local.Crc32c == expected)
                return true;
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(localPath))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, PartialFileName(Path.GetFileName(localPath)));
        try
        {
            using var hasher = new ContentHasher();
            await using (var target = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                await using var stream = await store.OpenReadAsync(source.Bucket, source.Name, generation: source.Generation,
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                try
                {
                    int read;
                    while ((read = await stream.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        hasher.Append(buffer.AsSpan(0, read));
                        await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
                await target.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            EnsureDownloadMatches(source, hasher);
            File.Move(temporary, localPath, overwrite: true);
            return false;
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>
    /// The name a download is written under until it is verified: ".NAME.partial-XXXXXXXX", with NAME shortened so the
    /// whole stays within 255 bytes (a 250-byte file name is legal; its temporary name must be too).
    /// </summary>
    internal static string PartialFileName(string fileName)
    {
        var suffix = ".partial-" + Guid.NewGuid().ToString("N")[..8];
        var budget = 255 - 1 - suffix.Length;
        var name = fileName;
        while (System.Text.Encoding.UTF8.GetByteCount(name) > budget)
            name = name[..(char.IsLowSurrogate(name[^1]) && name.Length > 1 ? name.Length - 2 : name.Length - 1)];
        return "." + name + suffix;
    }

    private static void EnsureDownloadMatches(ObjectInfo source, ContentHasher hasher)
    {
        var uri = $"gs://{source.Bucket}/{source.Name}";
        if (hasher.Length != source.Size)
            throw new CorruptionException($"Download of {uri} received {hasher.Length} bytes but the object has {source.Size}; the partial file was deleted.");
        if (source.Crc32c is { } crc)
        {
            if (hasher.Crc32c != crc)
                throw new CorruptionException($"Download of {uri} does not match its CRC32C (expected {GcsHash.ToBase64(crc)}, received {GcsHash.ToBase64(hasher.Crc32c)}); the partial file was deleted.");
        }
        else if (source.Md5 is { } md5 && !md5.AsSpan().SequenceEqual(hasher.GetMd5()))
        {
            throw new CorruptionException($"Download of {uri} does not match its MD5; the partial file was deleted.");
        }
    }

    // A stored object whose hashes differ from the local bytes is corrupt: that generation is deleted (and only that
    // one, so a newer upload by someone else survives) before the failure is reported.
    private static async Task EnsureStoredMatchesAsync(IObjectStore store, ObjectInfo stored, LocalHashes hashes, CloudPath destination)
    {
        try
        {
            EnsureStoredMatches(stored, hashes, destination);
        }
        catch (CorruptionException)
        {
            try
            {
                await store.DeleteAsync(destination.Bucket, destination.Path, stored.Generation, CancellationToken.None).ConfigureAwait(false);
            }
            catch (ObjectStoreException)
            {
                // Already gone or replaced by a newer generation: nothing corrupt of ours is left to remove.
            }
            throw;
        }
    }

    private static void EnsureStoredMatches(ObjectInfo stored, LocalHashes hashes, CloudPath destination)
    {
        if (stored.Crc32c is { } crc && crc != hashes.Crc32c)
            throw new CorruptionException($"{destination} was stored with CRC32C {GcsHash.ToBase64(crc)} but the local bytes have {GcsHash.ToBase64(hashes.Crc32c)}.");
        if (stored.Md5 is { } md5 && !md5.AsSpan().SequenceEqual(hashes.Md5))
            throw new CorruptionException($"{destination} was stored with an MD5 that differs from the local bytes'.");
        if (stored.Size != hashes.Length)
            throw new CorruptionException($"{destination} was stored with {stored.Size} bytes but the local file has {hashes.Length}.");
    }

    private static bool HoldsAll(IReadOnlyDictionary<string, string> actual, IReadOnlyDictionary<string, string> wanted)
    {
        foreach (var (key, value) in wanted)
        {
            if (!actual.TryGetValue(key, out var present) || !string.Equals(present, value, StringComparison.Ordinal))
                return false;
        }
        return true;
    }

    private static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
}
