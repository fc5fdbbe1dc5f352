using Microsoft.Extensions.Logging.Abstractions;
using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// Compiles the code of a mount's first requests before they come. A new daemon runs most of its first lookup, open,
/// read and listing in the JIT: about 500 methods each, nearly all generic instantiations of the framework's async
/// builders, collections and HTTP code over the mount's own types, which ahead-of-time (ReadyToRun) code of the
/// mount's assemblies cannot hold because their code belongs to the framework. Once the mount answers, this runs
/// those paths for real, in the background: a second <see cref="OctueFileSystem"/> with the mount's options on a
/// <see cref="GcsObjectStore"/> whose HTTP is answered in memory (<see cref="InMemoryBucketResponder"/>: no socket,
/// no request leaves the process, nothing touches the mount itself), with its cache folder in the temporary folder,
/// deleted afterwards. It looks up, lists (a folder of 40, a tree the sub-folder prefetch walks), opens and reads a
/// large and a small object, and goes away. Its counts are kept out of the mount's metrics (<see cref="WarmUpScope"/>).
/// </summary>
public static class FirstUseWarmUp
{
    private const string Bucket = "octue-mount-warm-up";
    private const int SmallFiles = 40;
    private const int SmallSize = 4096;
    private const int TreeFiles = 3;
    private const int FirstRead = 128 * 1024;
    private const int WarmUpChunk = 256 * 1024;
    private static readonly string[] TreeFolders = ["a", "b", "c"];

    /// <summary>
    /// Runs the warm-up; returns when it is done. A step that does not answer as the bucket says throws
    /// <see cref="InvalidOperationException"/> naming it (the caller logs it: the mount works without the warm-up).
    /// </summary>
    public static async Task RunAsync(FileSystemOptions mounted, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(mounted);
        WarmUpScope.Enter();
        string folder = Path.Combine(Path.GetTempPath(), $"octue-mount-warm-up-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using var store = GcsObjectStore.Create(new ObjectStoreOptions
            {
                // Never contacted: the responder below stands in for the socket handler.
                EmulatorHost = "127.0.0.1:9",
                MaxRetries = 0,
                HttpHandlerWrapper = _ => new InMemoryBucketResponder(Bucket, Objects()),
            });
            var options = mounted with
            {
                Source = MountSource.Parse($"gs://{Bucket}", null),
                CacheDirectory = folder,
                // The same code on small buffers: the warm-up must not grow the daemon's memory.
                Read = mounted.Read with { ChunkSize = WarmUpChunk, MemoryBudget = 4 * WarmUpChunk, CacheSizeBytes = 16 * WarmUpChunk },
            };
            var fs = await OctueFileSystem.CreateAsync(options, store, NullLoggerFactory.Instance, ct).ConfigureAwait(false);
            await using (fs.ConfigureAwait(false))
            {
                await RunPathsAsync(fs, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>What a new mount is first asked: <c>ls</c> of the root, <c>ls -l</c> of a folder, a first byte, a small copy, a walk.</summary>
    private static async Task RunPathsAsync(OctueFileSystem fs, CancellationToken ct)
    {
        // In the order of a new mount's first requests: names looked up in folders nobody has listed yet (each a
        // listing of the name), a large file's first read, a folder listed whole (ls -l), a small file read whole
        // (cp), a walk (find: the sub-folder prefetch), and the root listed.
        Check(await fs.GetAttributesAsync(IFileSystem.RootId, null, ct).ConfigureAwait(false), "stat /");
        Expect(await ReadAsync(fs, IFileSystem.RootId, "large.bin", ct).ConfigureAwait(false), FirstRead, "large.bin");
        ulong list = await LookupAsync(fs, IFileSystem.RootId, "list", ct).ConfigureAwait(false);
        Expect(await ListAsync(fs, list, ct).ConfigureAwait(false), SmallFiles, "list/");
        Expect(await ReadAsync(fs, list, "f001", ct).ConfigureAwait(false), SmallSize, "list/f001");
        ulong tree = await LookupAsync(fs, IFileSystem.RootId, "tree", ct).ConfigureAwait(false);
        Expect(await ListAsync(fs, tree, ct).ConfigureAwait(false), TreeFolders.Length, "tree/");
        foreach (string sub in TreeFolders)
        {
            ulong folder = await LookupAsync(fs, tree, sub, ct).ConfigureAwait(false);
            Expect(await ListAsync(fs, folder, ct).ConfigureAwait(false), TreeFiles, $"tree/{sub}/");
        }
        Expect(await ListAsync(fs, IFileSystem.RootId, ct).ConfigureAwait(false), 3, "/");
        // A name that is not there (a shell's probe for a file before it makes it).
        var absent = await fs.LookupAsync(IFileSystem.RootId, "absent", ct).ConfigureAwait(false);
        if (absent.Error != VfsError.NotFound)
            throw new InvalidOperationException($"warm-up: the lookup of a missing name gave {absent.Error}");
    }

    private static T Check<T>(VfsResult<T> result, string what) =>
        result.IsOk ? result.Value : throw new InvalidOperationException($"warm-up: {what} failed with {result.Error}");

    private static void Expect(int actual, int expected, string what)
    {
        if (actual != expected)
            throw new InvalidOperationException($"warm-up: {what} gave {actual}, expected {expected}");
    }

    private static async Task<ulong> LookupAsync(OctueFileSystem fs, ulong parent, string name, CancellationToken ct) =>
        Check(await fs.LookupAsync(parent, name, ct).ConfigureAwait(false), $"lookup of {name}").NodeId;

    /// <summary>Lists a folder whole, as READDIRPLUS does, counting each entry as a lookup the way the kernel takes it.</summary>
    private static async Task<int> ListAsync(OctueFileSystem fs, ulong folder, CancellationToken ct)
    {
        ulong handle = Check(await fs.OpenDirectoryAsync(folder, ct).ConfigureAwait(false), "opendir");
        int count = 0;
        try
        {
            long cookie = 0;
            while (true)
            {
                var page = Check(await fs.ReadDirectoryAsync(handle, cookie, ct).ConfigureAwait(false), "readdir");
                if (page.Count == 0)
                    return count;
                foreach (var entry in page)
                {
                    if (entry.Name is not "." and not "..")
                    {
                        count++;
                        fs.AddLookup(entry.Attributes.NodeId);
                        fs.Forget(entry.Attributes.NodeId, 1);
                    }
                }
                cookie = page[^1].NextCookie;
            }
        }
        finally
        {
            await fs.ReleaseDirectoryAsync(handle, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Opens a file and reads its first 128 KiB (the kernel's first read of a file), then closes it.</summary>
    private static async Task<int> ReadAsync(OctueFileSystem fs, ulong parent, string name, CancellationToken ct)
    {
        ulong node = await LookupAsync(fs, parent, name, ct).ConfigureAwait(false);
        ulong handle = Check(await fs.OpenAsync(node, OpenFlags.Read, ct).ConfigureAwait(false), $"open of {name}");
        try
        {
            var buffer = new byte[FirstRead];
            return Check(await fs.ReadAsync(handle, 0, buffer, ct).ConfigureAwait(false), $"read of {name}");
        }
        finally
        {
            await fs.FlushAsync(handle, CancellationToken.None).ConfigureAwait(false);
            await fs.ReleaseAsync(handle, CancellationToken.None).ConfigureAwait(false);
            fs.Forget(node, 1);
        }
    }

    /// <summary>
    /// The in-memory bucket: a folder of 40 small objects, a tree of three folders, and one object over the size
    /// that a read verifies whole at open (so its first read takes the streaming path of large objects).
    /// </summary>
    private static IEnumerable<KeyValuePair<string, byte[]>> Objects()
    {
        var small = new byte[SmallSize];
        new Random(1).NextBytes(small);
        for (int i = 0; i < SmallFiles; i++)
            yield return new($"list/f{i:D3}", small);
        foreach (string sub in TreeFolders)
        {
            for (int i = 0; i < TreeFiles; i++)
                yield return new($"tree/{sub}/f{i}", small);
        }
        var large = new byte[(2 * 1024 * 1024) + 4096];
        new Random(2).NextBytes(large);
        yield return new("large.bin", large);
    }
}
