using Microsoft.Extensions.Time.Testing;
using Octue.Mount.Emulator;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// A large file opened for reading right after its lookup costs no request of its own: its first read's download,
/// pinned to the generation the lookup saw, is the revalidation. Close-to-open still holds when the object changes
/// (or goes) between the lookup and the open, while the lookup's answer is still fresh.
/// </summary>
public sealed class FirstReadRevalidationTests : IClassFixture<VfsFixture>
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    private const int Large = 3 << 20;
    private readonly VfsFixture _fixture;

    public FirstReadRevalidationTests(VfsFixture fixture) => _fixture = fixture;

    private RequestCounter Requests => _fixture.Emulator.Requests;

    // A clock that stands still: whatever the test does happens within the TTL.
    private Task<MountedBucket> MountAsync(string bucket) =>
        MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", Ttl,
            configure: o => o with { TimeProvider = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero)) });

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<byte[]> ReadAllAsync(MountedBucket mount, ulong handle)
    {
        var result = new MemoryStream();
        var buffer = new byte[256 * 1024];
        while (true)
        {
            var read = await mount.Fs.ReadAsync(handle, result.Length, buffer);
            Assert.True(read.IsOk, $"read failed with {read.Error}");
            if (read.Value == 0)
            {
                return result.ToArray();
            }

            result.Write(buffer, 0, read.Value);
        }
    }

    [Fact]
    public async Task Lookup_open_and_a_first_byte_of_a_cold_large_file_cost_a_listing_and_a_download()
    {
        var bucket = _fixture.NewBucket();
        var content = Bytes(Large, 1);
        _fixture.Emulator.Store.PutObject(bucket, "big.bin", content);
        await using var mount = await MountAsync(bucket);
        Requests.Reset();

        var file = await mount.Fs.LookupAsync(IFileSystem.RootId, "big.bin");
        Assert.True(file.IsOk);
        var handle = await mount.Fs.OpenAsync(file.Value.NodeId, OpenFlags.Read);
        Assert.True(handle.IsOk);
        var first = new byte[1];
        Assert.Equal(1, (await mount.Fs.ReadAsync(handle.Value, 0, first)).Value);
        Assert.Equal(content[0], first[0]);

        Assert.Equal(1, Requests.Count(RequestKind.ListObjects));
        Assert.Equal(0, Requests.Count(RequestKind.GetObject));
        Assert.Equal(1, Requests.Count(RequestKind.Download));
        Assert.Equal(2, Requests.Total);
        Assert.Equal(content, await ReadAllAsync(mount, handle.Value));
        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(handle.Value));
    }

    [Fact]
    public async Task A_large_file_replaced_between_lookup_and_open_reads_the_new_version()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Emulator.Store.PutObject(bucket, "big.bin", Bytes(Large, 1));
        await using var mount = await MountAsync(bucket);
        var file = await mount.LookupPathAsync("big.bin");
        Assert.Equal(Large, file.Size);

        // Replaced elsewhere, larger: the lookup's answer is still fresh, but the open must see the new version.
        var replacement = Bytes(Large + 12345, 2);
        _fixture.Emulator.Store.PutObject(bucket, "big.bin", replacement);
        await WhileOpenAsync(mount, file.NodeId, async handle => Assert.Equal(replacement, await ReadAllAsync(mount, handle)));

        Assert.Equal(replacement.Length, (await mount.Fs.GetAttributesAsync(file.NodeId)).Value.Size);
    }

    [Fact]
    public async Task A_large_file_deleted_between_lookup_and_open_gives_stale_on_read()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Emulator.Store.PutObject(bucket, "big.bin", Bytes(Large, 1));
        await using var mount = await MountAsync(bucket);
        var file = await mount.LookupPathAsync("big.bin");

        _fixture.Emulator.Store.DeleteObject(bucket, "big.bin");
        await WhileOpenAsync(mount, file.NodeId,
            async handle => Assert.Equal(VfsError.Stale, (await mount.Fs.ReadAsync(handle, 0, new byte[4096])).Error));

        Assert.Equal(VfsError.NotFound, (await mount.Fs.GetAttributesAsync(file.NodeId)).Error);
    }

    [Fact]
    public async Task A_large_file_whose_old_version_is_cached_is_revalidated_before_a_cached_byte_is_served()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Emulator.Store.PutObject(bucket, "big.bin", Bytes(Large, 1));
        await using var mount = await MountAsync(bucket);
        Assert.Equal(Bytes(Large, 1), await mount.ReadAllAsync("big.bin"));

        // Same size, new bytes: only the generation tells them apart, and the old ones are all in the cache.
        var replacement = Bytes(Large, 3);
        _fixture.Emulator.Store.PutObject(bucket, "big.bin", replacement);
        Assert.Equal(replacement, await mount.ReadAllAsync("big.bin"));
    }

    [Fact]
    public async Task Parallel_first_reads_of_a_replaced_file_all_read_the_new_version()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Emulator.Store.PutObject(bucket, "big.bin", Bytes(Large, 1));
        await using var mount = await MountAsync(bucket);
        var file = await mount.LookupPathAsync("big.bin");
        var replacement = Bytes(Large, 4);
        _fixture.Emulator.Store.PutObject(bucket, "big.bin", replacement);

        await WhileOpenAsync(mount, file.NodeId, async handle =>
        {
            const int piece = 1 << 20;
            var reads = Enumerable.Range(0, Large / piece).Select(async i =>
            {
                var buffer = new byte[piece];
                var read = await mount.Fs.ReadAsync(handle, (long)i * piece, buffer);
                Assert.True(read.IsOk, $"read {i} failed with {read.Error}");
                Assert.Equal(piece, read.Value);
                Assert.True(buffer.AsSpan().SequenceEqual(replacement.AsSpan(i * piece, piece)), $"piece {i} is not the new version's");
            });
            await Task.WhenAll(reads);
        });
    }

    /// <summary>Opens the file for reading, hands the handle to <paramref name="use"/>, and releases it whatever happens.</summary>
    private static async Task WhileOpenAsync(MountedBucket mount, ulong node, Func<ulong, Task> use)
    {
        var handle = await mount.Fs.OpenAsync(node, OpenFlags.Read);
        Assert.True(handle.IsOk);
        try
        {
            await use(handle.Value);
        }
        finally
        {
            await mount.Fs.ReleaseAsync(handle.Value);
        }
    }
}
