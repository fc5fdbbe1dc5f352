// Over 400 lines: every case drives the reader factory over the one in-process store and cache folder set up below
// (reads, verification, remounts, eviction, the memory budget, adoption of uploads).
using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Caching;

/// <summary>The read path's logic over an in-process store (small objects, small chunks: fast and exact).</summary>
public sealed class ObjectReaderFactoryTests : IDisposable
{
    private const int Chunk = 4 * ChunkLayout.BlockSize; // 256 KiB
    private readonly TempDirectory _cacheFolder = new();
    private readonly MemoryObjectStore _store = new();

    public void Dispose() => _cacheFolder.Dispose();

    private ReadOptions Options(long cacheSize = 1L << 30, long budget = 8 * Chunk, int parallelism = 4) => new()
    {
        ChunkSize = Chunk,
        Parallelism = parallelism,
        MemoryBudget = budget,
        CacheDirectory = _cacheFolder.Path,
        CacheSizeBytes = cacheSize,
    };

    private ObjectReaderFactory NewFactory(ReadOptions options) =>
        new(_store, ContentCache.Create(options), options);

    private static async Task ReadExactlyAsync(IObjectReader reader, long offset, Memory<byte> destination)
    {
        int n = await reader.ReadAsync(offset, destination);
        Assert.Equal(destination.Length, n);
    }

    [Fact]
    public async Task Sequential_reads_return_the_bytes_and_verify_the_object()
    {
        byte[] data = PatternData.Create((10 * Chunk) + 12345, seed: 1);
        ObjectInfo obj = _store.Put("b", "seq.bin", data);
        await using ObjectReaderFactory factory = NewFactory(Options());
        await using IObjectReader reader = factory.OpenReader(obj);

        byte[] buffer = new byte[128 * 1024];
        long offset = 0;
        int n;
        using MemoryStream copy = new();
        while ((n = await reader.ReadAsync(offset, buffer)) > 0)
        {
            copy.Write(buffer, 0, n);
            offset += n;
        }
        Assert.Equal(data, copy.ToArray());
        Assert.Equal(IntegrityState.Verified, factory.GetIntegrity("b", "seq.bin", obj.Generation));
        // One streaming GET served the sequential read (it ran ahead of the reads, several chunks in memory). A reader
        // that finishes a chunk before its stream claimed the next waits for the stream rather than downloading that
        // chunk itself (which would stop the stream and start another where the reader is).
        // A chunk whose cache write was skipped (writes queued up) stays in memory until it was read: dropping it
        // for budget would make its reader download it again.
        Assert.True(_store.Downloads == 1, $"{_store.Downloads} downloads for one sequential read ({factory.SkippedFills} cache writes skipped)");
        Assert.True(factory.Budget.Peak <= factory.Budget.Capacity);
        Assert.True(factory.Budget.Peak > Chunk);
        await factory.WhenIdleAsync();
        // Every chunk reached the cache, off the reader's path, unless its write was skipped because writes queued
        // up (a disk slower than the download must not stall the reader).
        // (A chunk whose write was skipped may be downloaded again, and then cached, by a later stream.)
        Assert.InRange(factory.Cache.ChunkCount, 0, 11);
        Assert.True(factory.Cache.ChunkCount + factory.SkippedFills >= 11, $"{factory.Cache.ChunkCount} chunks cached, {factory.SkippedFills} skipped, of 11");
    }

    [Fact]
    public async Task A_verified_wholly_cached_object_gets_a_checked_whole_file_and_a_changed_one_is_dropped()
    {
        byte[] data = PatternData.Create((3 * Chunk) + 5, seed: 14);
        ObjectInfo obj = _store.Put("b", "whole.bin", data);
        await using ObjectReaderFactory factory = NewFactory(Options() with { WholeObjectFiles = true });
        Assert.Null(factory.GetWholeFile(obj));
        await using (IObjectReader reader = factory.OpenReader(obj))
        {
            await ReadExactlyAsync(reader, 0, new byte[data.Length]);
        }
        await factory.WhenIdleAsync();
        string? path = factory.GetWholeFile(obj);
        Assert.NotNull(path);
        Assert.Equal(data, await File.ReadAllBytesAsync(path));

        // Changed behind the cache's back: not handed out again, and made afresh from the checked chunks.
        await File.WriteAllBytesAsync(path, new byte[data.Length]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1)); // a write within the clock's tick would keep it
        Assert.Null(factory.GetWholeFile(obj));
        await factory.WhenIdleAsync();
        string? again = factory.GetWholeFile(obj);
        Assert.NotNull(again);
        Assert.Equal(data, await File.ReadAllBytesAsync(again));
        Assert.Equal(0, _store.Downloads - 1);
    }

    [Fact]
    public async Task Without_whole_object_files_a_wholly_cached_object_is_kept_only_as_chunks()
    {
        byte[] data = PatternData.Create((3 * Chunk) + 5, seed: 15);
        ObjectInfo obj = _store.Put("b", "chunks-only.bin", data);
        await using ObjectReaderFactory factory = NewFactory(Options());
        await using (IObjectReader reader = factory.OpenReader(obj))
        {
            await ReadExactlyAsync(reader, 0, new byte[data.Length]);
        }
        await factory.WhenIdleAsync();
        Assert.Equal(IntegrityState.Verified, factory.GetIntegrity("b", "chunks-only.bin", obj.Generation));

        // No second copy of the object beside its chunks (it would double its space and cost a write and a read-back).
        Assert.Null(factory.GetWholeFile(obj));
        await factory.WhenIdleAsync();
        Assert.DoesNotContain(Directory.EnumerateFiles(factory.Cache.ContentDirectory, "*", SearchOption.AllDirectories),
            file => !file.EndsWith(".chunk", StringComparison.Ordinal) && !file.EndsWith(".json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_sequential_reader_gets_bytes_of_a_chunk_as_they_arrive_and_the_last_read_waits_for_the_check()
    {
        byte[] data = PatternData.Create(3 * Chunk, seed: 11);
        ObjectInfo obj = _store.Put("b", "arriving.bin", data);
        await using ObjectReaderFactory factory = NewFactory(Options());
        await using IObjectReader reader = factory.OpenReader(obj);

        // The download delivers 100,000 bytes of the first chunk, then stalls.
        _store.HoldDownloadsAfter(100_000);
        byte[] first = new byte[64 * 1024];
        await ReadExactlyAsync(reader, 0, first).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(first.AsSpan().SequenceEqual(data.AsSpan(0, first.Length)));

        // The rest of the first chunk is not there yet: its read waits.
        byte[] rest = new byte[Chunk - first.Length];
        Task restRead = ReadExactlyAsync(reader, first.Length, rest);
        await Task.Delay(200);
        Assert.False(restRead.IsCompleted);
        _store.ReleaseHeldDownloads();
        await restRead.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(rest.AsSpan().SequenceEqual(data.AsSpan(first.Length, rest.Length)));

        byte[] tail = new byte[2 * Chunk];
        await ReadExactlyAsync(reader, Chunk, tail);
        Assert.True(tail.AsSpan().SequenceEqual(data.AsSpan(Chunk)));
        Assert.Equal(IntegrityState.Verified, factory.GetIntegrity("b", "arriving.bin", obj.Generation));
        Assert.InRange(_store.Downloads, 1, 3); // a reader that overtakes its stream starts another
    }

    [Fact]
    public async Task A_corrupted_streaming_download_fails_the_sequential_read_that_reaches_the_end()
    {
        byte[] data = PatternData.Create((5 * Chunk) + 777, seed: 12);
        ObjectInfo obj = _store.Put("b", "bad-stream.bin", data);
        await using ObjectReaderFactory factory = NewFactory(Options());
        await using IObjectReader reader = factory.OpenReader(obj);

        // The one streaming download carries one wrong byte (in its middle): nothing can know it until every chunk
        // is in, and the read that reaches the end must not return.
        _store.CorruptNextDownloads(1);
        byte[] buffer = new byte[128 * 1024];
        long offset = 0;
        CorruptionException error = await Assert.ThrowsAsync<CorruptionException>(async () =>
        {
            int n;
            while ((n = await reader.ReadAsync(offset, buffer)) > 0)
            {
                offset += n;
            }
        });
        Assert.Contains("bad-stream.bin", error.Message);
        Assert.True(offset < data.Length);
        Assert.Equal(IntegrityState.Failed, factory.GetIntegrity("b", "bad-stream.bin", obj.Generation));
        await factory.WhenIdleAsync();
        Assert.Equal(0, factory.Cache.ChunkCount);
        await Assert.ThrowsAsync<CorruptionException>(async () => await reader.ReadAsync(0, buffer));
    }

    [Fact]
    public async Task Closing_a_sequential_reader_stops_its_stream_and_another_reader_gets_every_byte()
    {
        byte[] data = PatternData.Create(6 * Chunk, seed: 13);
        ObjectInfo obj = _store.Put("b", "closed.bin", data);
        await using ObjectReaderFactory factory = NewFactory(Options());
        _store.HoldDownloadsAfter(Chunk + 1000);
        await using (IObjectReader reader = factory.OpenReader(obj))
        {
            byte[] start = new byte[4096];
            await ReadExactlyAsync(reader, 0, start);
        }
        _store.ReleaseHeldDownloads();
        await factory.WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));

        await using IObjectReader again = factory.OpenReader(obj);
        byte[] all = new byte[data.Length];
        await ReadExactlyAsync(again, 0, all);
        Assert.Equal(data, all);
        Assert.Equal(IntegrityState.Verified, factory.GetIntegrity("b", "closed.bin", obj.Generation));
        Assert.True(factory.Budget.InUse <= factory.Budget.Capacity);
    }

    [Fact]
    public async Task Random_reads_in_any_order_return_the_bytes_and_verify_once_every_chunk_was_seen()
    {
        byte[] data = PatternData.Create((7 * Chunk) + 999, seed: 2);
        ObjectInfo obj = _store.Put("b", "random.bin", data);
        await using ObjectReaderFactory factory = NewFactory(Options());
        await using IObjectReader reader = factory.OpenReader(obj);

        Random random = new(42);
        byte[] buffer = new byte[100_000];
        int[] order = [5, 2, 7, 0, 3, 6, 1, 4];
        for (int i = 0; i < order.Length; i++)
        {
            Assert.Equal(IntegrityState.Unverified, factory.GetIntegrity("b", "random.bin", obj.Generation));
            long start = ((long)order[i] * Chunk) + random.Next(0, 1000);
            int length = (int)Math.Min(buffer.Length, data.Length - start);
            await ReadExactlyAsync(reader, start, buffer.AsMemory(0, length));
            Assert.True(buffer.AsSpan(0, length).SequenceEqual(data.AsSpan((int)start, length)));
        }
        Assert.Equal(IntegrityState.Verified, factory.GetIntegrity("b", "random.bin", obj.Generation));

        // Reads spanning chunk boundaries, at odd offsets and past the end.
        for (int i = 0; i < 50; i++)
        {
            long start = random.NextInt64(0, data.Length);
            int length = random.Next(1, 3 * Chunk);
            int expected = (int)Math.Min(length, data.Length - start);
            byte[] big = new byte[length];
            Assert.Equal(expected, await reader.ReadAsync(start, big));
            Assert.True(big.AsSpan(0, expected).SequenceEqual(data.AsSpan((int)start, expected)));
        }
        Assert.Equal(0, await reader.ReadAsync(data.Length, buffer));
        Assert.Equal(0, await reader.ReadAsync(data.Length + 10L, buffer));
        Assert.Equal(8, _store.Downloads);
    }

    [Fact]
    public async Task Concurrent_reads_on_one_reader_return_the_right_bytes()
    {
        byte[] data = PatternData.Create(16 * Chunk, seed: 3);
        ObjectInfo obj = _store.Put("b", "concurrent.bin", data);
        await using ObjectReaderFactory factory = NewFactory(Options(budget: 3 * Chunk));
        await using IObjectReader reader = factory.OpenReader(obj);

        Task[] tasks = new Task[32];
        for (int t = 0; t < tasks.Length; t++)
        {
            int seed = t;
            tasks[t] = Task.Run(async () =>
            {
                Random random = new(seed);
                byte[] buffer = new byte[64 * 1024];
                for (int i = 0; i < 20; i++)
                {
                    long start = random.NextInt64(0, data.Length - buffer.Length);
                    await ReadExactlyAsync(reader, start, buffer);
                    Assert.True(buffer.AsSpan().SequenceEqual(data.AsSpan((int)start, buffer.Length)));
                }
            });
        }
        await Task.WhenAll(tasks);
        Assert.True(factory.Budget.Peak <= 3 * Chunk);
        // Concurrent readers of a chunk share one download of it. A piece within one 64 KiB block may instead come
        // from a partial download of that block, at most one per chunk here (a quarter of a 4-block chunk).
        Assert.True(_store.Downloads <= 32, $"{_store.Downloads} downloads of 16 chunks: concurrent readers of a chunk share one");
    }

    [Fact]
    public async Task A_corrupted_download_fails_the_read_that_completes_the_object()
    {
        byte[] data = PatternData.Create(4 * Chunk, seed: 4);
        ObjectInfo obj = _store.Put("b", "bad.bin", data);
        await using ObjectReaderFactory factory = NewFactory(Options(parallelism: 1));
        await using IObjectReader reader = factory.OpenReader(obj);
        byte[] buffer = new byte[Chunk];

        // Backwards, so no read-ahead: the first download (chunk 3) is damaged, and only the read of chunk 0,
        // which completes the object, can know it.
        _store.CorruptNextDownloads(1);
        for (int chunk = 3; chunk >= 1; chunk--)
        {
            await ReadExactlyAsync(reader, (long)chunk * Chunk, buffer);
        }
        Assert.Equal(IntegrityState.Unverified, factory.GetIntegrity("b", "bad.bin", obj.Generation));
        CorruptionException error = await Assert.ThrowsAsync<CorruptionException>(async () => await reader.ReadAsync(0, buffer));
        Assert.Contains("bad.bin", error.Message);
        Assert.Equal(IntegrityState.Failed, factory.GetIntegrity("b", "bad.bin", obj.Generation));
        Assert.Equal(0, factory.Cache.ChunkCount); // the cached copy was dropped

        // The handle that saw the failure returns nothing more, even bytes it read before.
        await Assert.ThrowsAsync<CorruptionException>(async () => await reader.ReadAsync(Chunk, buffer));

        // Opening again retries from scratch, and a clean read verifies.
        await using IObjectReader again = factory.OpenReader(obj);
        byte[] all = new byte[data.Length];
        await ReadExactlyAsync(again, 0, all);
        Assert.Equal(data, all);
        Assert.Equal(IntegrityState.Verified, factory.GetIntegrity("b", "bad.bin", obj.Generation));
    }

    [Fact]
    public async Task A_verified_object_is_checked_chunk_by_chunk_when_downloaded_again()
    {
        byte[] data = PatternData.Create(4 * Chunk, seed: 5);
        ObjectInfo obj = _store.Put("b", "again.bin", data);
        ReadOptions options = Options(cacheSize: 2 * (Chunk + 4096), parallelism: 1);
        await using (ObjectReaderFactory first = NewFactory(options))
        await using (IObjectReader reader = first.OpenReader(obj))
        {
            // One chunk at a time, each written before the next, so the LRU order is 0, 1, 2, 3.
            byte[] piece = new byte[Chunk];
            for (int chunk = 0; chunk < 4; chunk++)
            {
                await ReadExactlyAsync(reader, (long)chunk * Chunk, piece);
                await first.WhenIdleAsync();
            }
            Assert.Equal(IntegrityState.Verified, first.GetIntegrity("b", "again.bin", obj.Generation));
        }

        // Chunk 0 was evicted (the cache holds two chunks). Its next download is damaged once: the chunk CRC kept
        // with the verified state catches it at once, and a second download repairs it.
        await using ObjectReaderFactory factory = NewFactory(options);
        await using IObjectReader again = factory.OpenReader(obj);
        int before = _store.Downloads;
        _store.CorruptNextDownloads(1);
        byte[] buffer = new byte[1000];
        // Away from the start, so that no read-ahead starts: only chunk 0 is downloaded.
        await ReadExactlyAsync(again, 200_000, buffer);
        Assert.True(buffer.AsSpan().SequenceEqual(data.AsSpan(200_000, 1000)));
        Assert.Equal(before + 2, _store.Downloads);
        Assert.Equal(IntegrityState.Verified, factory.GetIntegrity("b", "again.bin", obj.Generation));
    }

    [Fact]
    public async Task A_cached_object_is_served_after_a_remount_without_downloads_and_stays_verified()
    {
        byte[] data = PatternData.Create((5 * Chunk) + 7, seed: 6);
        ObjectInfo obj = _store.Put("b", "dir/remount.bin", data);
        byte[] all = new byte[data.Length];
        await using (ObjectReaderFactory first = NewFactory(Options()))
        await using (IObjectReader reader = first.OpenReader(obj))
        {
            await ReadExactlyAsync(reader, 0, all);
        }
        int downloads = _store.Downloads;

        await using ObjectReaderFactory second = NewFactory(Options());
        Assert.Equal(IntegrityState.Verified, second.GetIntegrity("b", "dir/remount.bin", obj.Generation));
        await using IObjectReader again = second.OpenReader(obj);
        Array.Clear(all);
        await ReadExactlyAsync(again, 0, all);
        Assert.Equal(data, all);
        Assert.Equal(downloads, _store.Downloads);
    }

    [Fact]
    public async Task A_partly_cached_object_is_completed_and_verified_after_a_remount()
    {
        byte[] data = PatternData.Create(6 * Chunk, seed: 7);
        ObjectInfo obj = _store.Put("b", "partial.bin", data);
        byte[] piece = new byte[Chunk];
        await using (ObjectReaderFactory first = NewFactory(Options(parallelism: 1)))
        await using (IObjectReader reader = first.OpenReader(obj))
        {
            await ReadExactlyAsync(reader, 4L * Chunk, piece);
            await ReadExactlyAsync(reader, 1L * Chunk, piece);
        }
        Assert.Equal(2, _store.Downloads);

        await using ObjectReaderFactory second = NewFactory(Options());
        await using IObjectReader again = second.OpenReader(obj);
        byte[] all = new byte[data.Length];
        await ReadExactlyAsync(again, 0, all);
        Assert.Equal(data, all);
        Assert.Equal(6, _store.Downloads); // the two cached chunks came from disk
        Assert.Equal(IntegrityState.Verified, second.GetIntegrity("b", "partial.bin", obj.Generation));
    }

    [Fact]
    public async Task A_damaged_chunk_on_disk_is_detected_and_downloaded_again()
    {
        byte[] data = PatternData.Create(3 * Chunk, seed: 8);
        ObjectInfo obj = _store.Put("b", "disk.bin", data);
        byte[] all = new byte[data.Length];
        await using (ObjectReaderFactory first = NewFactory(Options()))
        await using (IObjectReader reader = first.OpenReader(obj))
        {
            await ReadExactlyAsync(reader, 0, all);
        }

        string[] chunkFiles = Directory.GetFiles(Path.Combine(_cacheFolder.Path, "content"), "*.chunk", SearchOption.AllDirectories);
        Assert.Equal(3, chunkFiles.Length);
        Array.Sort(chunkFiles, StringComparer.Ordinal);
        await using (FileStream file = new(chunkFiles[1], FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length - 5000;
            int b = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(b ^ 0xFF));
        }
        int downloads = _store.Downloads;

        await using ObjectReaderFactory second = NewFactory(Options());
        await using IObjectReader again = second.OpenReader(obj);
        Array.Clear(all);
        await ReadExactlyAsync(again, 0, all);
        Assert.Equal(data, all);
        Assert.Equal(downloads + 1, _store.Downloads);
        Assert.Equal(IntegrityState.Verified, second.GetIntegrity("b", "disk.bin", obj.Generation));
    }

    [Fact]
    public async Task The_cache_stays_under_its_size_evicting_the_least_recently_used_chunks()
    {
        long capacity = 6L * (Chunk + 4096);
        ReadOptions options = Options(cacheSize: capacity, parallelism: 1);
        await using ObjectReaderFactory factory = NewFactory(options);
        byte[] buffer = new byte[Chunk];
        ObjectInfo[] objects = new ObjectInfo[4];
        for (int i = 0; i < objects.Length; i++)
        {
            objects[i] = _store.Put("b", $"lru{i}.bin", PatternData.Create(3 * Chunk, seed: (ulong)(10 + i)));
            await using IObjectReader reader = factory.OpenReader(objects[i]);
            for (int c = 0; c < 3; c++)
            {
                await ReadExactlyAsync(reader, (long)c * Chunk, buffer);
                Assert.True(factory.Cache.SizeBytes <= capacity, $"{factory.Cache.SizeBytes} > {capacity}");
            }
        }
        await factory.WhenIdleAsync();
        Assert.Equal(6, factory.Cache.ChunkCount);

        // The two most recent objects are cached; the oldest are gone.
        int downloads = _store.Downloads;
        await using (IObjectReader recent = factory.OpenReader(objects[3]))
        {
            await ReadExactlyAsync(recent, 2L * Chunk, buffer);
        }
        Assert.Equal(downloads, _store.Downloads);
        await using (IObjectReader old = factory.OpenReader(objects[0]))
        {
            await ReadExactlyAsync(old, 1L * Chunk, buffer);
        }
        Assert.Equal(downloads + 1, _store.Downloads);
        long onDisk = 0;
        foreach (string file in Directory.GetFiles(factory.Cache.ContentDirectory, "*.chunk", SearchOption.AllDirectories))
        {
            onDisk += new FileInfo(file).Length;
        }
        Assert.True(onDisk <= capacity);
    }

    [Fact]
    public async Task Many_readers_share_the_memory_budget_without_exceeding_it()
    {
        long budget = 3L * Chunk;
        await using ObjectReaderFactory factory = NewFactory(Options(budget: budget, parallelism: 4));
        Task[] readers = new Task[6];
        for (int r = 0; r < readers.Length; r++)
        {
            byte[] data = PatternData.Create(8 * Chunk, seed: (ulong)(100 + r));
            ObjectInfo obj = _store.Put("b", $"budget{r}.bin", data);
            readers[r] = Task.Run(async () =>
            {
                await using IObjectReader reader = factory.OpenReader(obj);
                byte[] buffer = new byte[128 * 1024];
                for (long offset = 0; offset < data.Length; offset += buffer.Length)
                {
                    await ReadExactlyAsync(reader, offset, buffer);
                    Assert.True(buffer.AsSpan().SequenceEqual(data.AsSpan((int)offset, buffer.Length)));
                }
            });
        }
        await Task.WhenAll(readers);
        Assert.True(factory.Budget.Peak <= budget, $"peak {factory.Budget.Peak} > budget {budget}");
        // Chunks kept in memory go once written to disk with their readers closed; closing waits for the writes.
        await factory.DisposeAsync();
        Assert.Equal(0, factory.Budget.InUse);
    }

    [Fact]
    public async Task An_object_with_only_an_md5_is_verified_by_its_md5()
    {
        byte[] data = PatternData.Create((3 * Chunk) + 5, seed: 9);
        ObjectInfo obj = _store.Put("b", "md5.bin", data, withCrc32c: false);
        await using ObjectReaderFactory factory = NewFactory(Options(parallelism: 1));
        await using IObjectReader reader = factory.OpenReader(obj);
        byte[] all = new byte[data.Length];
        await ReadExactlyAsync(reader, 0, all);
        Assert.Equal(IntegrityState.Verified, factory.GetIntegrity("b", "md5.bin", obj.Generation));

        ObjectInfo bad = _store.Put("b", "md5-bad.bin", data, withCrc32c: false);
        await using IObjectReader badReader = factory.OpenReader(bad);
        _store.CorruptNextDownloads(1);
        await Assert.ThrowsAsync<CorruptionException>(async () => await badReader.ReadAsync(0, all));
        Assert.Equal(IntegrityState.Failed, factory.GetIntegrity("b", "md5-bad.bin", bad.Generation));
    }

    [Fact]
    public async Task Empty_objects_read_as_empty_and_verify()
    {
        ObjectInfo obj = _store.Put("b", "empty", []);
        await using ObjectReaderFactory factory = NewFactory(Options());
        await using IObjectReader reader = factory.OpenReader(obj);
        Assert.Equal(0, await reader.ReadAsync(0, new byte[10]));
        Assert.Equal(IntegrityState.Verified, factory.GetIntegrity("b", "empty", obj.Generation));
        Assert.Equal(0, _store.Downloads);
    }

    [Fact]
    public async Task MarkVerified_is_remembered_across_remounts()
    {
        ReadOptions options = Options();
        await using (ObjectReaderFactory first = NewFactory(options))
        {
            Assert.Equal(IntegrityState.Unverified, first.GetIntegrity("b", "uploaded", 77));
            first.MarkVerified("b", "uploaded", 77);
            Assert.Equal(IntegrityState.Verified, first.GetIntegrity("b", "uploaded", 77));
            Assert.Equal(IntegrityState.Unverified, first.GetIntegrity("b", "uploaded", 78));
        }
        // The state is written in the background: give it a moment to land.
        string content = Path.Combine(_cacheFolder.Path, "content");
        for (int i = 0; i < 100 && Directory.GetFiles(content, "state.json", SearchOption.AllDirectories).Length == 0; i++)
        {
            await Task.Delay(20);
        }
        await using ObjectReaderFactory second = NewFactory(options);
        Assert.Equal(IntegrityState.Verified, second.GetIntegrity("b", "uploaded", 77));
    }

    [Fact]
    public async Task An_adopted_upload_is_read_back_without_downloads_and_a_wrong_file_is_refused()
    {
        byte[] data = PatternData.Create((3 * Chunk) + 11, seed: 12);
        ObjectInfo obj = _store.Put("b", "adopted.bin", data);
        string staged = Path.Combine(_cacheFolder.Path, "staged.bin");
        await File.WriteAllBytesAsync(staged, data);
        await using ObjectReaderFactory factory = NewFactory(Options());

        byte[] wrong = (byte[])data.Clone();
        wrong[^1] ^= 1;
        string wrongFile = Path.Combine(_cacheFolder.Path, "wrong.bin");
        await File.WriteAllBytesAsync(wrongFile, wrong);
        Assert.False(await factory.AdoptVerifiedFileAsync(obj, wrongFile));
        Assert.Equal(IntegrityState.Unverified, factory.GetIntegrity("b", "adopted.bin", obj.Generation));

        Assert.True(await factory.AdoptVerifiedFileAsync(obj, staged));
        Assert.Equal(IntegrityState.Verified, factory.GetIntegrity("b", "adopted.bin", obj.Generation));
        await using IObjectReader reader = factory.OpenReader(obj);
        byte[] all = new byte[data.Length];
        await ReadExactlyAsync(reader, 0, all);
        Assert.Equal(data, all);
        Assert.Equal(0, _store.Downloads);
    }

    [Fact]
    public async Task A_budget_of_one_chunk_serves_concurrent_sequential_and_random_readers_without_deadlock()
    {
        await using ObjectReaderFactory factory = NewFactory(Options(budget: Chunk, parallelism: 4));
        Task[] readers = new Task[4];
        for (int r = 0; r < readers.Length; r++)
        {
            byte[] data = PatternData.Create(6 * Chunk, seed: (ulong)(200 + r));
            ObjectInfo obj = _store.Put("b", $"tight{r}.bin", data);
            bool sequential = r % 2 == 0;
            readers[r] = Task.Run(async () =>
            {
                await using IObjectReader reader = factory.OpenReader(obj);
                Random random = new(r);
                byte[] buffer = new byte[48 * 1024];
                for (int i = 0; i < 40; i++)
                {
                    long offset = sequential ? (long)i * buffer.Length % (data.Length - buffer.Length)
                        : random.NextInt64(0, data.Length - buffer.Length);
                    await ReadExactlyAsync(reader, offset, buffer);
                    Assert.True(buffer.AsSpan().SequenceEqual(data.AsSpan((int)offset, buffer.Length)));
                }
            });
        }
        Task all = Task.WhenAll(readers);
        Assert.Same(all, await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(60))));
        await all;
        Assert.True(factory.Budget.Peak <= Chunk);
    }
}
