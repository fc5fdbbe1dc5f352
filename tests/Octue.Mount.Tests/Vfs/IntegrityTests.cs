using System.Text;
using Octue.Mount.Emulator;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

public sealed class IntegrityTests : IClassFixture<VfsFixture>
{
    private readonly VfsFixture _fixture;

    public IntegrityTests(VfsFixture fixture) => _fixture = fixture;

    private static async Task<string> IntegrityAsync(MountedBucket mount, ulong node) =>
        Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync(node, "user.octue.integrity")).Value);

    [Fact]
    public async Task A_corrupted_download_gives_an_io_error_and_integrity_failed()
    {
        var bucket = _fixture.NewBucket();
        var data = new byte[200_000];
        new Random(1).NextBytes(data);
        _fixture.Emulator.Store.PutObject(bucket, "bad.bin", data);
        _fixture.Emulator.Store.PutObject(bucket, "good.bin", data);
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var bad = await mount.LookupPathAsync("bad.bin");
        Assert.Equal("unverified", await IntegrityAsync(mount, bad.NodeId));

        _fixture.Emulator.Faults.Add(new FaultRule { Kind = FaultKind.CorruptMedia, Bucket = bucket, ObjectName = "bad.bin", Times = 100 });
        var handle = await mount.Fs.OpenAsync(bad.NodeId, OpenFlags.Read);
        var buffer = new byte[data.Length];
        var failed = false;
        long offset = 0;
        while (true)
        {
            var read = await mount.Fs.ReadAsync(handle.Value, offset, buffer.AsMemory((int)Math.Min(offset, data.Length)));
            if (!read.IsOk)
            {
                Assert.Equal(VfsError.IoError, read.Error);
                failed = true;
                break;
            }

            if (read.Value == 0)
            {
                break;
            }

            offset += read.Value;
        }

        await mount.Fs.ReleaseAsync(handle.Value);
        _fixture.Emulator.Faults.Clear();
        Assert.True(failed, "a corrupted object was read to its end without an error");
        Assert.Equal("failed", await IntegrityAsync(mount, bad.NodeId));

        var good = await mount.LookupPathAsync("good.bin");
        Assert.Equal(data, await mount.ReadAllAsync("good.bin"));
        Assert.Equal("verified", await IntegrityAsync(mount, good.NodeId));
    }

    [Fact]
    public async Task A_corrupted_download_of_a_multi_chunk_object_fails_the_read_that_completes_it_and_drops_the_cached_copy()
    {
        const int chunkSize = 64 * 1024;
        const int chunks = 5;
        var bucket = _fixture.NewBucket();
        var data = Caching.PatternData.Create((4 * chunkSize) + 333, seed: 2);
        _fixture.Emulator.Store.PutObject(bucket, "multi.bin", data);
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}",
            configure: o => o with { Read = o.Read with { ChunkSize = chunkSize, Parallelism = 1 } });
        var file = await mount.LookupPathAsync("multi.bin");
        var handle = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Read);
        Assert.True(handle.IsOk);

        // GCS sends no hash with a ranged download, so damage is found when the object is complete: the fault
        // damages the download that completes it. Chunks are read backwards, one read each, so nothing is read
        // ahead and the downloads happen one at a time, in this order; the fifth is chunk 0's.
        _fixture.Emulator.Faults.Add(new FaultRule
        {
            Kind = FaultKind.CorruptMedia, Bucket = bucket, ObjectName = "multi.bin", RequestKind = RequestKind.Download,
            Skip = chunks - 1, Times = 1, AfterBytes = 100,
        });
        var buffer = new byte[chunkSize];
        VfsError failure = VfsError.None;
        for (var chunk = chunks - 1; chunk >= 0; chunk--)
        {
            var offset = chunk * chunkSize;
            var length = Math.Min(chunkSize, data.Length - offset);
            var read = await mount.Fs.ReadAsync(handle.Value, offset, buffer.AsMemory(0, length));
            if (!read.IsOk)
            {
                Assert.Equal(0, chunk);
                failure = read.Error;
                break;
            }

            // Every read that succeeds returns the object's own bytes.
            Assert.Equal(length, read.Value);
            Assert.True(buffer.AsSpan(0, length).SequenceEqual(data.AsSpan(offset, length)), $"wrong bytes returned for chunk {chunk}");
            Assert.Equal("unverified", await IntegrityAsync(mount, file.NodeId));
        }

        Assert.Equal(VfsError.IoError, failure);
        Assert.Equal("failed", await IntegrityAsync(mount, file.NodeId));
        // The handle that saw the failure returns nothing more, not even chunks it read before.
        Assert.Equal(VfsError.IoError, (await mount.Fs.ReadAsync(handle.Value, chunkSize, buffer)).Error);
        await mount.Fs.ReleaseAsync(handle.Value);
        _fixture.Emulator.Faults.Clear();

        // The cached chunks were dropped with the failure: a new full read downloads the object again (one streaming
        // GET, the read being sequential) and verifies.
        var before = _fixture.Emulator.Requests.Count(RequestKind.Download);
        Assert.Equal(data, await mount.ReadAllAsync("multi.bin"));
        Assert.Equal(1, _fixture.Emulator.Requests.Count(RequestKind.Download) - before);
        Assert.Equal("verified", await IntegrityAsync(mount, file.NodeId));
    }

    [Fact]
    public async Task A_file_written_through_the_mount_is_verified()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        Assert.Equal(VfsError.None, await mount.WriteFileAsync(IFileSystem.RootId, "w.txt", "written"u8.ToArray()));
        var file = await mount.LookupPathAsync("w.txt");
        Assert.Equal("verified", await IntegrityAsync(mount, file.NodeId));
    }
}
