using System.Text;
using Microsoft.Extensions.Time.Testing;
using Octue.Mount.Emulator;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// The metadata cache seen through the file system, on a clock the test moves: entries live for the TTL and no
/// longer, misses are remembered too, changes made through the mount show at once, and open always revalidates.
/// </summary>
public sealed class MetadataCacheTests : IClassFixture<VfsFixture>
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    private readonly VfsFixture _fixture;

    public MetadataCacheTests(VfsFixture fixture) => _fixture = fixture;

    private long MetadataRequests => _fixture.Emulator.Requests.Count(RequestKind.GetObject) + _fixture.Emulator.Requests.Count(RequestKind.ListObjects);

    private Task<MountedBucket> MountAsync(string bucket, FakeTimeProvider clock) =>
        MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", Ttl, configure: o => o with { TimeProvider = clock });

    [Fact]
    public async Task A_remote_change_shows_after_the_ttl_and_not_before()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "f.txt", "one");
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var mount = await MountAsync(bucket, clock);
        var file = await mount.LookupPathAsync("f.txt");
        Assert.Equal(3, file.Size);
        Assert.Equal(new[] { "f.txt" }, await mount.NamesAsync("/"));

        // Another client rewrites the file and adds one.
        _fixture.Put(bucket, "f.txt", "a longer text");
        _fixture.Put(bucket, "g.txt", "new");

        _fixture.Emulator.Requests.Reset();
        clock.Advance(Ttl - TimeSpan.FromMilliseconds(1));
        Assert.Equal(3, (await mount.Fs.GetAttributesAsync(file.NodeId)).Value.Size);
        Assert.Equal(new[] { "f.txt" }, await mount.NamesAsync("/"));
        Assert.Equal(0, MetadataRequests);

        clock.Advance(TimeSpan.FromMilliseconds(2));
        Assert.Equal(13, (await mount.Fs.GetAttributesAsync(file.NodeId)).Value.Size);
        Assert.Equal(new[] { "f.txt", "g.txt" }, await mount.NamesAsync("/"));
    }

    [Fact]
    public async Task A_lookup_miss_is_remembered_for_the_ttl_at_no_cost_and_a_create_through_the_mount_shows_at_once()
    {
        var bucket = _fixture.NewBucket();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var mount = await MountAsync(bucket, clock);

        _fixture.Emulator.Requests.Reset();
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(IFileSystem.RootId, "later.txt"));
        Assert.True(MetadataRequests > 0, "the first miss asks the store");

        // Created elsewhere: the miss is still what this mount knows, and asking again costs nothing.
        _fixture.Put(bucket, "later.txt", "remote");
        _fixture.Emulator.Requests.Reset();
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(IFileSystem.RootId, "later.txt"));
        Assert.Equal(0, MetadataRequests);

        clock.Advance(Ttl + TimeSpan.FromMilliseconds(1));
        Assert.Equal(6, (await mount.LookupPathAsync("later.txt")).Size);

        // Created through this mount after a miss: visible at once, while the miss would still be fresh.
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(IFileSystem.RootId, "mine.txt"));
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(IFileSystem.RootId, "folder"));
        Assert.Equal(VfsError.None, await mount.WriteFileAsync(IFileSystem.RootId, "mine.txt", "local"u8.ToArray()));
        Assert.True((await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, "folder", 0b111_101_101)).IsOk);
        Assert.Equal(5, (await mount.LookupPathAsync("mine.txt")).Size);
        Assert.Equal(NodeKind.Directory, (await mount.LookupPathAsync("folder")).Kind);
        Assert.Equal(new[] { "folder", "later.txt", "mine.txt" }, (await mount.NamesAsync("/")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Open_sees_a_new_generation_written_elsewhere_while_the_stat_is_still_cached()
    {
        var bucket = _fixture.NewBucket();
        var first = _fixture.Put(bucket, "f.txt", "version-1");
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var mount = await MountAsync(bucket, clock);
        var file = await mount.LookupPathAsync("f.txt");
        Assert.Equal(Encoding.UTF8.GetBytes("version-1"), await mount.ReadAllAsync("f.txt"));

        // Same size, new bytes: only the generation tells them apart.
        var second = _fixture.Put(bucket, "f.txt", "version-2");
        Assert.NotEqual(first, second);
        Assert.Equal(first.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync(file.NodeId, "user.gcs.generation")).Value));

        // The clock has not moved: the stat is fresh, yet open asks the store and reads the new generation.
        var handle = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Read);
        Assert.True(handle.IsOk);
        try
        {
            var buffer = new byte[64];
            var read = await mount.Fs.ReadAsync(handle.Value, 0, buffer);
            Assert.Equal("version-2", Encoding.UTF8.GetString(buffer, 0, read.Value));
        }
        finally
        {
            await mount.Fs.ReleaseAsync(handle.Value);
        }

        Assert.Equal(second.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync(file.NodeId, "user.gcs.generation")).Value));
    }
}
