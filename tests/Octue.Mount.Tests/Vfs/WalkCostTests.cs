using System.Text;
using Microsoft.Extensions.Time.Testing;
using Octue.Mount.Emulator;
using Octue.Mount.Caching;
using Octue.Mount.Storage;
using Octue.Mount.Tests.Octue;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// What walking a directory costs in requests, counted by the emulator: files created in a directory this mount
/// made, lookups and stats in a directory past its listing's TTL, small files opened for reading.
/// </summary>
public sealed class WalkCostTests : IClassFixture<VfsFixture>
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    private readonly VfsFixture _fixture;

    public WalkCostTests(VfsFixture fixture) => _fixture = fixture;

    private RequestCounter Requests => _fixture.Emulator.Requests;

    private Task<MountedBucket> MountAsync(string bucket, FakeTimeProvider clock, IObjectStore? store = null) =>
        MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", Ttl, configure: o => o with { TimeProvider = clock }, store: store);

    /// <summary>Lists a directory the way READDIRPLUS does: the kernel keeps a lookup on every entry it is given.</summary>
    private static async Task<List<DirectoryEntry>> ReadDirectoryPlusAsync(MountedBucket mount, ulong dir)
    {
        var opened = await mount.Fs.OpenDirectoryAsync(dir);
        var entries = new List<DirectoryEntry>();
        for (long cookie = 0; ;)
        {
            var page = (await mount.Fs.ReadDirectoryAsync(opened.Value, cookie)).Value;
            if (page.Count == 0)
            {
                break;
            }

            foreach (var entry in page)
            {
                if (entry.Name is not "." and not "..")
                {
                    mount.Fs.AddLookup(entry.Attributes.NodeId);
                    entries.Add(entry);
                }
            }

            cookie = page[^1].NextCookie;
        }

        await mount.Fs.ReleaseDirectoryAsync(opened.Value);
        return entries;
    }

    private string BucketWith(string folder, int files)
    {
        var bucket = _fixture.NewBucket();
        for (var i = 0; i < files; i++)
        {
            _fixture.Emulator.Store.PutObject(bucket, $"{folder}/f{i:D5}", new byte[] { 1, 2, 3 });
        }

        return bucket;
    }

    /// <summary>What `cp` does for each file: a lookup that finds nothing, create, write, close.</summary>
    private static async Task CopyInAsync(MountedBucket mount, ulong dir, string name, byte[] data)
    {
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(dir, name));
        Assert.Equal(VfsError.None, await mount.WriteFileAsync(dir, name, data));
    }

    [Fact]
    public async Task Files_created_in_a_directory_this_mount_made_cost_one_upload_each_and_no_lookup()
    {
        var bucket = _fixture.NewBucket();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var mount = await MountAsync(bucket, clock);
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(IFileSystem.RootId, "copy"));
        Requests.Reset();

        var dir = await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, "copy", 0b111_101_101);
        Assert.True(dir.IsOk);
        for (var i = 0; i < 40; i++)
        {
            await CopyInAsync(mount, dir.Value.NodeId, $"f{i}", Encoding.UTF8.GetBytes($"file {i}"));
        }

        Assert.Equal(41, Requests.Count(RequestKind.Upload));
        Assert.Equal(0, Requests.Count(RequestKind.GetObject));
        Assert.Equal(0, Requests.Count(RequestKind.ListObjects));
        Assert.Equal(41, Requests.Total);

        // Past the TTL the directory, in use, is listed once again as a whole; the files after cost their uploads.
        clock.Advance(Ttl + TimeSpan.FromMilliseconds(1));
        Requests.Reset();
        for (var i = 40; i < 60; i++)
        {
            await CopyInAsync(mount, dir.Value.NodeId, $"f{i}", Encoding.UTF8.GetBytes($"file {i}"));
        }

        Assert.Equal(20, Requests.Count(RequestKind.Upload));
        Assert.Equal(1, Requests.Count(RequestKind.ListObjects));
        Assert.Equal(0, Requests.Count(RequestKind.GetObject));
        Assert.Equal(Enumerable.Range(0, 60).Select(i => $"f{i}").Order(StringComparer.Ordinal), (await mount.NamesAsync("copy")).Order(StringComparer.Ordinal));
        Assert.Equal("file 59", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "copy/f59")));
    }

    [Fact]
    public async Task A_listed_directory_past_its_ttl_is_listed_again_whole_not_asked_about_entry_by_entry()
    {
        // `ls -l` whose dentries outlived the TTL: the kernel looks up and stats every entry again.
        var bucket = BucketWith("d", 2_500);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var mount = await MountAsync(bucket, clock);
        var dir = await mount.LookupPathAsync("d");
        var entries = await mount.ReadDirectoryAsync(dir.NodeId);
        Assert.Equal(2_502, entries.Count);

        clock.Advance(Ttl + TimeSpan.FromMilliseconds(1));
        Requests.Reset();
        foreach (var entry in entries.Skip(2))
        {
            var found = await mount.Fs.LookupAsync(dir.NodeId, entry.Name);
            Assert.True(found.IsOk, $"{entry.Name}: {found.Error}");
            Assert.Equal(3, (await mount.Fs.GetAttributesAsync(found.Value.NodeId)).Value.Size);
        }

        Assert.Equal(3, Requests.Count(RequestKind.ListObjects)); // one listing: 2,500 entries in pages of 1,000
        Assert.Equal(0, Requests.Count(RequestKind.GetObject));
        Assert.Equal(3, Requests.Total);
    }

    [Fact]
    public async Task Lookups_arriving_together_past_the_ttl_share_one_listing()
    {
        var bucket = BucketWith("d", 1_500);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var mount = await MountAsync(bucket, clock);
        var dir = await mount.LookupPathAsync("d");
        await mount.ReadDirectoryAsync(dir.NodeId);

        clock.Advance(Ttl + TimeSpan.FromMilliseconds(1));
        Requests.Reset();
        var lookups = Enumerable.Range(0, 300).Select(i => mount.Fs.LookupAsync(dir.NodeId, $"f{i * 5:D5}").AsTask()).ToList();
        lookups.Add(mount.Fs.LookupAsync(dir.NodeId, "missing").AsTask());
        var results = await Task.WhenAll(lookups);

        Assert.All(results.SkipLast(1), r => Assert.True(r.IsOk));
        Assert.Equal(VfsError.NotFound, results[^1].Error);
        Assert.Equal(2, Requests.Count(RequestKind.ListObjects));
        Assert.Equal(0, Requests.Count(RequestKind.GetObject));
    }

    [Fact]
    public async Task A_directory_asked_about_once_after_its_refresh_goes_back_to_asking_for_one_name()
    {
        var bucket = BucketWith("d", 1_500);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var mount = await MountAsync(bucket, clock);
        var dir = await mount.LookupPathAsync("d");
        await mount.ReadDirectoryAsync(dir.NodeId);

        clock.Advance(Ttl + TimeSpan.FromMilliseconds(1));
        Requests.Reset();
        Assert.True((await mount.Fs.LookupAsync(dir.NodeId, "f00001")).IsOk);
        Assert.Equal(2, Requests.Count(RequestKind.ListObjects));
        Assert.Equal(0, Requests.Count(RequestKind.GetObject));

        // That listing answered one lookup for its two pages: the next lookup past its TTL asks for its name alone.
        clock.Advance(Ttl + TimeSpan.FromMilliseconds(1));
        Requests.Reset();
        Assert.True((await mount.Fs.LookupAsync(dir.NodeId, "f00002")).IsOk);
        Assert.Equal(0, Requests.Count(RequestKind.GetObject));
        Assert.Equal(1, Requests.Count(RequestKind.ListObjects));
    }

    [Fact]
    public async Task A_lookup_in_a_large_directory_past_its_ttl_asks_for_its_name_alone()
    {
        var bucket = BucketWith("d", (MetadataCache.MaxWholeRefreshPages * 1_000) + 1);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var mount = await MountAsync(bucket, clock);
        var dir = await mount.LookupPathAsync("d");
        await mount.ReadDirectoryAsync(dir.NodeId);

        clock.Advance(Ttl + TimeSpan.FromMilliseconds(1));
        Requests.Reset();
        Assert.True((await mount.Fs.LookupAsync(dir.NodeId, "f00007")).IsOk);
        Assert.Equal(0, Requests.Count(RequestKind.GetObject));
        Assert.Equal(1, Requests.Count(RequestKind.ListObjects));
    }

    [Fact]
    public async Task A_file_written_while_its_directory_is_being_listed_is_not_lost_from_the_listing()
    {
        var bucket = BucketWith("d", 20);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var store = new HeldListingStore(_fixture.Store);
        await using var mount = await MountAsync(bucket, clock, store);
        var dir = await mount.LookupPathAsync("d");
        await mount.ReadDirectoryAsync(dir.NodeId);
        var created = await mount.Fs.CreateAsync(dir.NodeId, "new", 0b110_100_100, OpenFlags.Write);
        Assert.True(created.IsOk);
        Assert.True((await mount.Fs.WriteAsync(created.Value.Handle, 0, "fresh"u8.ToArray())).IsOk);
        clock.Advance(Ttl + TimeSpan.FromMilliseconds(1));

        // A lookup starts a listing; the store answers it (without the new file, not uploaded yet), and the answer is
        // held before the mount sees it. The file is uploaded meanwhile: after the listing was taken, before it is cached.
        store.Hold();
        try
        {
            var lookup = mount.Fs.LookupAsync(dir.NodeId, "f00003").AsTask();
            await store.Answered.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(created.Value.Handle).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
            store.Release();
            Assert.True((await lookup.WaitAsync(TimeSpan.FromSeconds(30))).IsOk);
        }
        finally
        {
            store.Release();
        }

        Requests.Reset();
        var found = await mount.Fs.LookupAsync(dir.NodeId, "new");
        Assert.True(found.IsOk, $"the new file is missing from the listing: {found.Error}");
        Assert.Equal(5, found.Value.Size);
        Assert.Contains("new", await mount.NamesAsync("d"));
        Assert.Equal(0, Requests.Total);
    }

    [Fact]
    public async Task Opening_a_small_file_costs_its_download_alone()
    {
        var bucket = BucketWith("d", 30);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var mount = await MountAsync(bucket, clock);
        var dir = await mount.LookupPathAsync("d");
        var entries = await ReadDirectoryPlusAsync(mount, dir.NodeId);
        Requests.Reset();

        foreach (var entry in entries)
        {
            var handle = await mount.Fs.OpenAsync(entry.Attributes.NodeId, OpenFlags.Read);
            Assert.True(handle.IsOk);
            var buffer = new byte[16];
            Assert.Equal(3, (await mount.Fs.ReadAsync(handle.Value, 0, buffer)).Value);
            Assert.Equal(0, (await mount.Fs.ReadAsync(handle.Value, 3, buffer)).Value);
            Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(handle.Value));
        }

        Assert.Equal(30, Requests.Count(RequestKind.Download));
        Assert.Equal(30, Requests.Total);
        Assert.Equal("verified", Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync(entries[0].Attributes.NodeId, "user.octue.integrity")).Value));
        // Their bytes were held by their handles only: nothing of them is written to the cache folder (a folder and
        // a state file per object would cost more local work than the download itself).
        var content = Path.Combine(mount.CacheDirectory, "content");
        Assert.Empty(Directory.Exists(content) ? Directory.EnumerateFileSystemEntries(content, "*", SearchOption.AllDirectories) : []);
    }

    [Fact]
    public async Task Opening_a_small_file_replaced_elsewhere_sees_the_new_version_while_the_listing_is_still_fresh()
    {
        var bucket = BucketWith("d", 3);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var mount = await MountAsync(bucket, clock);
        var dir = await mount.LookupPathAsync("d");
        var entries = await ReadDirectoryPlusAsync(mount, dir.NodeId);
        var file = entries.Single(e => e.Name == "f00001");

        _fixture.Put(bucket, "d/f00001", "replaced by another writer");
        Requests.Reset();
        Assert.Equal("replaced by another writer", Encoding.UTF8.GetString(await mount.ReadAllAsync("d/f00001")));
        // The download told the new generation; one stat brought its metadata (size, mtime).
        Assert.Equal(1, Requests.Count(RequestKind.Download));
        Assert.Equal(1, Requests.Count(RequestKind.GetObject));
        Assert.Equal(26, (await mount.Fs.GetAttributesAsync(file.Attributes.NodeId)).Value.Size);

        // Deleted elsewhere: the open finds nothing.
        _fixture.Emulator.Store.DeleteObject(bucket, "d/f00002");
        var gone = entries.Single(e => e.Name == "f00002");
        Assert.Equal(VfsError.NotFound, (await mount.Fs.OpenAsync(gone.Attributes.NodeId, OpenFlags.Read)).Error);
    }

    /// <summary>Holds the answers of listings, once asked, until the test releases them.</summary>
    private sealed class HeldListingStore(IObjectStore inner) : DelegatingObjectStore(inner)
    {
        private TaskCompletionSource? _gate;

        public TaskCompletionSource Answered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate?.TrySetResult();

        public override async Task<ObjectListing> ListAsync(string bucket, ListRequest request, CancellationToken cancellationToken = default)
        {
            var listing = await Inner.ListAsync(bucket, request, cancellationToken);
            if (_gate is { } gate && request.PageSize > NameProbe.PageSize)
            {
                Answered.TrySetResult();
                await gate.Task.WaitAsync(cancellationToken);
            }

            return listing;
        }
    }
}
