using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Caching;

/// <summary>
/// The content cache keeps chunk files open for the readers of an object, but only up to a bound (256 files), so a
/// large object read from the cache cannot exhaust the process's descriptors; they are closed when its last reader
/// goes. Counted from /proc/self/fd, the kernel's own list of this process's open files.
/// </summary>
public sealed class ContentCacheHandleTests : IDisposable
{
    private const int Chunk = ChunkLayout.BlockSize;
    private const int Chunks = 300;
    private const int MaxKeptOpen = 256;
    private readonly TempDirectory _cacheFolder = new();
    private readonly MemoryObjectStore _store = new();

    public void Dispose() => _cacheFolder.Dispose();

    [Fact]
    public async Task Chunk_files_kept_open_are_bounded_and_closed_with_the_last_reader()
    {
        byte[] data = PatternData.Create(Chunks * Chunk, seed: 7);
        ObjectInfo obj = _store.Put("b", "many-chunks.bin", data);
        ReadOptions options = new() { ChunkSize = Chunk, Parallelism = 2, MemoryBudget = 8 * Chunk, CacheDirectory = _cacheFolder.Path };
        await using ObjectReaderFactory factory = new(_store, ContentCache.Create(options), options);
        byte[] buffer = new byte[Chunk];

        // The first pass reads backwards, so each chunk is downloaded on its own and always written to the cache (a
        // sequential reader's streaming GET leaves chunks uncached when the disk writes fall behind it).
        await using (IObjectReader first = factory.OpenReader(obj))
        {
            for (int chunk = Chunks - 1; chunk >= 0; chunk--)
            {
                Assert.Equal(Chunk, await first.ReadAsync((long)chunk * Chunk, buffer));
            }
        }
        // The last chunks are written to disk beside the reads they served: wait until all are there.
        for (int attempt = 0; attempt < 1000 && factory.Cache.ChunkCount != Chunks; attempt++)
        {
            await Task.Delay(10);
        }
        Assert.Equal(Chunks, factory.Cache.ChunkCount);

        int downloads = _store.Downloads;
        await using (IObjectReader second = factory.OpenReader(obj))
        {
            for (int chunk = 0; chunk < Chunks; chunk++)
            {
                Assert.Equal(Chunk, await second.ReadAsync((long)chunk * Chunk, buffer));
                Assert.True(data.AsSpan(chunk * Chunk, Chunk).SequenceEqual(buffer), $"chunk {chunk} differs");
            }
            Assert.Equal(downloads, _store.Downloads);

            int open = OpenFilesUnder(factory.Cache.ContentDirectory);
            Assert.True(open > 0, "no chunk file is kept open for the reader");
            Assert.True(open <= MaxKeptOpen, $"{open} chunk files open, over {MaxKeptOpen}");
        }

        Assert.Equal(0, OpenFilesUnder(factory.Cache.ContentDirectory));
    }

    private static int OpenFilesUnder(string folder)
    {
        string prefix = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        int count = 0;
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith(prefix, StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // The descriptor was closed while the folder was read.
            }
        }

        return count;
    }
}
