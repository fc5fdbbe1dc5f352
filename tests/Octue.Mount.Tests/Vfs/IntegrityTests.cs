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
    public async Task A_file_written_through_the_mount_is_verified()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        Assert.Equal(VfsError.None, await mount.WriteFileAsync(IFileSystem.RootId, "w.txt", "written"u8.ToArray()));
        var file = await mount.LookupPathAsync("w.txt");
        Assert.Equal("verified", await IntegrityAsync(mount, file.NodeId));
    }
}
