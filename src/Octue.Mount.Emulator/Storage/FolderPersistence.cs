using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Octue.Mount.Emulator;

/// <summary>
/// Keeps the store in a folder so objects survive a restart: <c>DIR/BUCKET/bucket.json</c>, and per object
/// <c>DIR/BUCKET/objects/KEY.json</c> (its metadata) beside <c>KEY.GENERATION.bin</c> (its bytes), where KEY is the
/// SHA-256 of the name (names may hold any character and be longer than a file name). Files are written under a
/// temporary name and renamed, bytes before metadata, so a crash leaves the previous state or the new one.
/// Resumable upload sessions are not persisted: an upload in flight when the emulator stops must start again.
/// </summary>
internal sealed class FolderPersistence(string root)
{
    private const string BucketFile = "bucket.json";
    private const string ObjectsFolder = "objects";

    public string Root { get; } = Path.GetFullPath(root);

    public static FolderPersistence Open(string root)
    {
        var persistence = new FolderPersistence(root);
        Directory.CreateDirectory(persistence.Root);
        return persistence;
    }

    /// <summary>Reads every bucket and object back (at start-up, before the server listens).</summary>
    public IEnumerable<(BucketState Bucket, List<StoredObject> Objects)> Load()
    {
        foreach (var bucketDir in Directory.EnumerateDirectories(Root))
        {
            var bucketFile = Path.Combine(bucketDir, BucketFile);
            if (!File.Exists(bucketFile))
                continue;
            var persistedBucket = JsonSerializer.Deserialize<PersistedBucket>(File.ReadAllBytes(bucketFile))
                ?? throw new InvalidDataException($"{bucketFile} is empty.");
            var objects = new List<StoredObject>();
            var objectsDir = Path.Combine(bucketDir, ObjectsFolder);
            if (Directory.Exists(objectsDir))
            {
                foreach (var metadataFile in Directory.EnumerateFiles(objectsDir, "*.json"))
                {
                    var persisted = JsonSerializer.Deserialize<PersistedObject>(File.ReadAllBytes(metadataFile))
                        ?? throw new InvalidDataException($"{metadataFile} is empty.");
                    var dataFile = DataPath(objectsDir, persisted.Name, persisted.Generation);
                    objects.Add(persisted.ToStoredObject(persistedBucket.Name, File.ReadAllBytes(dataFile)));
                }
            }
            yield return (new BucketState(persistedBucket.Name, persistedBucket.TimeCreated), objects);
        }
    }

    public void SaveBucket(BucketState bucket)
    {
        var dir = BucketPath(bucket.Name);
        Directory.CreateDirectory(Path.Combine(dir, ObjectsFolder));
        WriteAtomically(Path.Combine(dir, BucketFile), JsonSerializer.SerializeToUtf8Bytes(new PersistedBucket(bucket.Name, bucket.TimeCreated)));
    }

    public void DeleteBucket(string bucket)
    {
        var dir = BucketPath(bucket);
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
    }

    /// <summary>Writes the object's current state (null: it no longer exists).</summary>
    public void SaveObject(string bucket, string name, StoredObject? current)
    {
        var objectsDir = Path.Combine(BucketPath(bucket), ObjectsFolder);
        if (current is not null)
        {
            var dataFile = DataPath(objectsDir, name, current.Generation);
            if (!File.Exists(dataFile))
                WriteAtomically(dataFile, current.Data);
            WriteAtomically(MetadataPath(objectsDir, name), JsonSerializer.SerializeToUtf8Bytes(PersistedObject.From(current)));
        }
        else
        {
            File.Delete(MetadataPath(objectsDir, name));
        }
        DeleteStaleData(objectsDir, name, current?.Generation);
    }

    /// <summary>The same as <see cref="SaveObject"/> without blocking a thread on the writes.</summary>
    public async Task SaveObjectAsync(string bucket, string name, StoredObject? current, CancellationToken ct)
    {
        var objectsDir = Path.Combine(BucketPath(bucket), ObjectsFolder);
        if (current is not null)
        {
            var dataFile = DataPath(objectsDir, name, current.Generation);
            if (!File.Exists(dataFile))
                await WriteAtomicallyAsync(dataFile, current.Data, ct).ConfigureAwait(false);
            await WriteAtomicallyAsync(MetadataPath(objectsDir, name), JsonSerializer.SerializeToUtf8Bytes(PersistedObject.From(current)), ct).ConfigureAwait(false);
        }
        else
        {
            File.Delete(MetadataPath(objectsDir, name));
        }
        DeleteStaleData(objectsDir, name, current?.Generation);
    }

    private string BucketPath(string bucket) => Path.Combine(Root, bucket);

    private static string Key(string name) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)));

    private static string MetadataPath(string objectsDir, string name) => Path.Combine(objectsDir, Key(name) + ".json");

    private static string DataPath(string objectsDir, string name, long generation) =>
        Path.Combine(objectsDir, $"{Key(name)}.{generation}.bin");

    private static void DeleteStaleData(string objectsDir, string name, long? keep)
    {
        var keepFile = keep is { } generation ? DataPath(objectsDir, name, generation) : null;
        foreach (var file in Directory.EnumerateFiles(objectsDir, Key(name) + ".*.bin"))
        {
            if (file != keepFile)
                File.Delete(file);
        }
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }

    private static async Task WriteAtomicallyAsync(string path, byte[] bytes, CancellationToken ct)
    {
        var temporary = path + ".tmp";
        await File.WriteAllBytesAsync(temporary, bytes, ct).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    private sealed record PersistedBucket(string Name, DateTimeOffset TimeCreated);

    private sealed record PersistedObject(
        string Name,
        long Generation,
        long Metageneration,
        uint Crc32c,
        byte[]? Md5,
        string ContentType,
        string? ContentEncoding,
        string? ContentDisposition,
        string? ContentLanguage,
        string? CacheControl,
        string StorageClass,
        int? ComponentCount,
        DateTimeOffset TimeCreated,
        DateTimeOffset Updated,
        Dictionary<string, string> Metadata)
    {
        public static PersistedObject From(StoredObject o) => new(
            o.Name, o.Generation, o.Metageneration, o.Crc32c, o.Md5, o.ContentType, o.ContentEncoding,
            o.ContentDisposition, o.ContentLanguage, o.CacheControl, o.StorageClass, o.ComponentCount,
            o.TimeCreated, o.Updated, new Dictionary<string, string>(o.Metadata));

        public StoredObject ToStoredObject(string bucket, byte[] data) => new()
        {
            Bucket = bucket,
            Name = Name,
            Data = data,
            Generation = Generation,
            Metageneration = Metageneration,
            Crc32c = Crc32c,
            Md5 = Md5,
            ContentType = ContentType,
            ContentEncoding = ContentEncoding,
            ContentDisposition = ContentDisposition,
            ContentLanguage = ContentLanguage,
            CacheControl = CacheControl,
            StorageClass = StorageClass,
            ComponentCount = ComponentCount,
            TimeCreated = TimeCreated,
            Updated = Updated,
            Metadata = Metadata,
        };
    }
}
