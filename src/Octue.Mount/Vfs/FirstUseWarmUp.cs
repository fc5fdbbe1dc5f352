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
    private const string FolderPrefix = "octue-mount-warm-up-";
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
    /// <param name="mounted">The mount's options (the warm-up's file system takes them, with its own source and cache folder).</param>
    /// <param name="mountActivity">
    /// A count that moves whenever the real mount is asked something (its requests so far): the warm-up only runs while
    /// it stands still, so it takes idle time and never competes with the mount's own first requests. Null: no waiting.
    /// </param>
    /// <param name="ct">Stops the warm-up (the mount is going away).</param>
    public static async Task RunAsync(FileSystemOptions mounted, Func<long>? mountActivity = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(mounted);
        WarmUpScope.Enter();
        var idle = new MountIdleness(mountActivity, ct);
        // Not even its own file system is made while the mount is busy (the first `ls` right after mounting).
        await idle.QuietAsync().ConfigureAwait(false);
        RemoveAbandonedFolders();
        string folder = Path.Combine(Path.GetTempPath(), $"{FolderPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
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
                await RunPathsAsync(new Steps(fs, idle, ct)).ConfigureAwait(false);
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

    /// <summary>
    /// Deletes the folders of warm-ups whose process is gone (killed before it could delete its own): each is named
    /// after its process id, and a folder of a process still running, this one included, is left alone.
    /// </summary>
    private static void RemoveAbandonedFolders()
    {
        try
        {
            foreach (string folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
            {
                string rest = Path.GetFileName(folder)[FolderPrefix.Length..];
                int dash = rest.IndexOf('-', StringComparison.Ordinal);
                if (dash <= 0 || !int.TryParse(rest.AsSpan(0, dash), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid)
                    || pid == Environment.ProcessId || IsRunning(pid))
                {
                    continue;
                }
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another warm-up removed it first, or the temporary folder cannot be read: nothing to clear.
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>What a new mount is first asked: a first byte, <c>ls -l</c> of a folder, a small copy, a walk, <c>ls</c> of the root.</summary>
    private static async Task RunPathsAsync(Steps run)
    {
        // In the order of a new mount's first requests: names looked up in folders nobody has listed yet (each a
        // listing of the name), a large file's first read, a folder listed whole (ls -l), a small file read whole
        // (cp), a walk (find: the sub-folder prefetch), and the root listed.
        await run.StatAsync(IFileSystem.RootId).ConfigureAwait(false);
        Expect(await run.ReadAsync(IFileSystem.RootId, "large.bin").ConfigureAwait(false), FirstRead, "large.bin");
        ulong list = await run.LookupAsync(IFileSystem.RootId, "list").ConfigureAwait(false);
        Expect(await run.ListAsync(list).ConfigureAwait(false), SmallFiles, "list/");
        Expect(await run.ReadAsync(list, "f001").ConfigureAwait(false), SmallSize, "list/f001");
        ulong tree = await run.LookupAsync(IFileSystem.RootId, "tree").ConfigureAwait(false);
        Expect(await run.ListAsync(tree).ConfigureAwait(false), TreeFolders.Length, "tree/");
        foreach (string sub in TreeFolders)
        {
            ulong folder = await run.LookupAsync(tree, sub).ConfigureAwait(false);
            Expect(await run.ListAsync(folder).ConfigureAwait(false), TreeFiles, $"tree/{sub}/");
        }
        Expect(await run.ListAsync(IFileSystem.RootId).ConfigureAwait(false), 3, "/");
        // A name that is not there (a shell's probe for a file before it makes it).
        await run.AbsentAsync(IFileSystem.RootId, "absent").ConfigureAwait(false);
    }

    private static void Expect(int actual, int expected, string what)
    {
        if (actual != expected)
            throw new InvalidOperationException($"warm-up: {what} gave {actual}, expected {expected}");
    }

    /// <summary>Waits until the real mount has had no new request for a moment (never, without a count to watch).</summary>
    private sealed class MountIdleness(Func<long>? mountActivity, CancellationToken ct)
    {
        /// <summary>How long the mount must have had no new request before the warm-up goes on.</summary>
        private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(20);

        /// <summary>The count last seen; none at first, so the warm-up starts only after a first quiet moment.</summary>
        private long _seen = long.MinValue;

        public async Task QuietAsync()
        {
            ct.ThrowIfCancellationRequested();
            if (mountActivity is null)
                return;
            long now = mountActivity();
            while (now != _seen)
            {
                _seen = now;
                await Task.Delay(Quiet, ct).ConfigureAwait(false);
                now = mountActivity();
            }
        }
    }

    /// <summary>The file system calls of the warm-up, each made only once the real mount has been quiet for a moment.</summary>
    private sealed class Steps(OctueFileSystem fs, MountIdleness idle, CancellationToken ct)
    {
        private Task QuietAsync() => idle.QuietAsync();

        private static T Check<T>(VfsResult<T> result, string what) =>
            result.IsOk ? result.Value : throw new InvalidOperationException($"warm-up: {what} failed with {result.Error}");

        public async Task StatAsync(ulong node)
        {
            await QuietAsync().ConfigureAwait(false);
            Check(await fs.GetAttributesAsync(node, null, ct).ConfigureAwait(false), "stat");
        }

        public async Task<ulong> LookupAsync(ulong parent, string name)
        {
            await QuietAsync().ConfigureAwait(false);
            return Check(await fs.LookupAsync(parent, name, ct).ConfigureAwait(false), $"lookup of {name}").NodeId;
        }

        public async Task AbsentAsync(ulong parent, string name)
        {
            await QuietAsync().ConfigureAwait(false);
            var absent = await fs.LookupAsync(parent, name, ct).ConfigureAwait(false);
            if (absent.Error != VfsError.NotFound)
                throw new InvalidOperationException($"warm-up: the lookup of the missing {name} gave {absent.Error}");
        }

        /// <summary>Lists a folder whole, as READDIRPLUS does, counting each entry as a lookup the way the kernel takes it.</summary>
        public async Task<int> ListAsync(ulong folder)
        {
            await QuietAsync().ConfigureAwait(false);
            ulong handle = Check(await fs.OpenDirectoryAsync(folder, ct).ConfigureAwait(false), "opendir");
            int count = 0;
            try
            {
                long cookie = 0;
                while (true)
                {
                    await QuietAsync().ConfigureAwait(false);
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
        public async Task<int> ReadAsync(ulong parent, string name)
        {
            ulong node = await LookupAsync(parent, name).ConfigureAwait(false);
            await QuietAsync().ConfigureAwait(false);
            ulong handle = Check(await fs.OpenAsync(node, OpenFlags.Read, ct).ConfigureAwait(false), $"open of {name}");
            try
            {
                await QuietAsync().ConfigureAwait(false);
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
