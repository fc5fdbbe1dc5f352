using Octue.Mount.Storage;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>A file system on a bucket with its own cache folder, removed at the end.</summary>
public sealed class MountedBucket : IAsyncDisposable
{
    private MountedBucket(OctueFileSystem fs, string cacheDirectory, string bucket)
    {
        Fs = fs;
        CacheDirectory = cacheDirectory;
        Bucket = bucket;
    }

    public OctueFileSystem Fs { get; private set; }
    public string CacheDirectory { get; }
    public string Bucket { get; }

    /// <param name="configure">Changes to the default options (a smaller chunk size, a test clock).</param>
    /// <param name="store">The store the file system talks to (a wrapper of the fixture's that disturbs some calls).</param>
    public static async Task<MountedBucket> CreateAsync(VfsFixture fixture, string source, TimeSpan? ttl = null, string? cacheDirectory = null,
        string? project = null, Func<FileSystemOptions, FileSystemOptions>? configure = null, IObjectStore? store = null,
        Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null)
    {
        var cache = cacheDirectory ?? Directory.CreateTempSubdirectory("octue-vfs-test-").FullName;
        var mountSource = MountSource.Parse(source, project);
        var options = new FileSystemOptions
        {
            Source = mountSource,
            CacheDirectory = cache,
            MetadataTtl = ttl ?? TimeSpan.FromSeconds(1),
        };
        var fs = await OctueFileSystem.CreateAsync(configure is null ? options : configure(options), store ?? fixture.Store, loggerFactory);
        return new MountedBucket(fs, cache, mountSource.Bucket ?? "");
    }

    /// <summary>Stops the file system like a crash would: no release, staged files left in the cache folder.</summary>
    public async Task<OctueFileSystem> RestartAsync(VfsFixture fixture, string source)
    {
        await Fs.DisposeAsync();
        Fs = await OctueFileSystem.CreateAsync(new FileSystemOptions { Source = MountSource.Parse(source, null), CacheDirectory = CacheDirectory }, fixture.Store);
        return Fs;
    }

    public async Task<NodeAttributes> LookupPathAsync(string path)
    {
        var attributes = await Fs.GetAttributesAsync(IFileSystem.RootId);
        Assert.True(attributes.IsOk);
        var current = attributes.Value;
        foreach (var segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var found = await Fs.LookupAsync(current.NodeId, segment);
            Assert.True(found.IsOk, $"lookup of '{segment}' in '{path}' failed with {found.Error}");
            current = found.Value;
        }

        return current;
    }

    public async Task<VfsError> TryLookupAsync(ulong parent, string name)
    {
        var found = await Fs.LookupAsync(parent, name);
        return found.Error;
    }

    public async Task<List<DirectoryEntry>> ReadDirectoryAsync(ulong node)
    {
        var opened = await Fs.OpenDirectoryAsync(node);
        Assert.True(opened.IsOk, $"opendir failed with {opened.Error}");
        var entries = new List<DirectoryEntry>();
        long cookie = 0;
        while (true)
        {
            var page = await Fs.ReadDirectoryAsync(opened.Value, cookie);
            Assert.True(page.IsOk);
            if (page.Value.Count == 0)
            {
                break;
            }

            entries.AddRange(page.Value);
            cookie = page.Value[^1].NextCookie;
        }

        Assert.Equal(VfsError.None, await Fs.ReleaseDirectoryAsync(opened.Value));
        return entries;
    }

    public async Task<List<string>> NamesAsync(string path)
    {
        var dir = await LookupPathAsync(path);
        var names = new List<string>();
        foreach (var entry in await ReadDirectoryAsync(dir.NodeId))
        {
            if (entry.Name is not "." and not "..")
            {
                names.Add(entry.Name);
            }
        }

        return names;
    }

    public async Task<byte[]> ReadAllAsync(string path)
    {
        var file = await LookupPathAsync(path);
        var handle = await Fs.OpenAsync(file.NodeId, OpenFlags.Read);
        Assert.True(handle.IsOk, $"open failed with {handle.Error}");
        try
        {
            var result = new MemoryStream();
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var read = await Fs.ReadAsync(handle.Value, result.Length, buffer);
                Assert.True(read.IsOk, $"read failed with {read.Error}");
                if (read.Value == 0)
                {
                    break;
                }

                result.Write(buffer, 0, read.Value);
            }

            return result.ToArray();
        }
        finally
        {
            await Fs.ReleaseAsync(handle.Value);
        }
    }

    public async Task<VfsError> WriteFileAsync(ulong parent, string name, byte[] data)
    {
        var created = await Fs.CreateAsync(parent, name, 0b110_100_100, OpenFlags.Write | OpenFlags.Truncate);
        if (!created.IsOk)
        {
            return created.Error;
        }

        var written = await Fs.WriteAsync(created.Value.Handle, 0, data);
        Assert.True(written.IsOk);
        return await Fs.ReleaseAsync(created.Value.Handle);
    }

    public async ValueTask DisposeAsync()
    {
        await Fs.DisposeAsync();
        try
        {
            Directory.Delete(CacheDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
