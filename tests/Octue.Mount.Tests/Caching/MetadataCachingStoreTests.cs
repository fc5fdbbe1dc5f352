using System.Collections.Immutable;
using System.Text;
using Octue.Mount.Caching;
using Octue.Mount.Emulator;
using Octue.Mount.Storage;
using Octue.Mount.Tests.Storage;

namespace Octue.Mount.Tests.Caching;

/// <summary>
/// The metadata cache as a store decorator, over the emulator: what goes through the store is recorded (an upload, a
/// patch, a copy, a finished streamed upload, a delete, a stat, a directory probe), a write that found its object not
/// as expected forgets it, and a stat through the store always asks.
/// </summary>
public sealed class MetadataCachingStoreTests(StoreFixture fixture) : IClassFixture<StoreFixture>
{
    private GcsEmulator Emulator => fixture.Emulator;

    private MetadataCachingStore<Names> NewStore() => new(fixture.Store, TimeSpan.FromMinutes(5), 10_000, TimeProvider.System);

    private static MemoryStream Bytes(string text) => new(Encoding.UTF8.GetBytes(text), writable: false);

    /// <summary>Caches an (empty) listing of <paramref name="prefix"/>, so that changes to it can be seen.</summary>
    private static Task<Names> ListedAsync(MetadataCachingStore<Names> store, string bucket, string prefix) =>
        store.GetOrListAsync(bucket, prefix, _ => Task.FromResult(Names.Empty), readWhole: true, CancellationToken.None);

    [Fact]
    public async Task An_upload_records_its_object_its_listing_entry_and_its_directories()
    {
        var bucket = fixture.NewBucket("mcs-upload");
        using var store = NewStore();
        await ListedAsync(store, bucket, "a/b/");
        await ListedAsync(store, bucket, "");

        var info = await store.UploadAsync(bucket, "a/b/f.txt", Bytes("one"));

        Assert.True(store.TryGetStat(bucket, "a/b/f.txt", out var cached));
        Assert.Equal(info.Generation, cached!.Generation);
        Assert.Equal("file", store.PeekListing(bucket, "a/b/")!.KindOf("f.txt"));
        Assert.Equal("directory", store.PeekListing(bucket, "")!.KindOf("a"));
        Assert.True(store.TryGetDirectory(bucket, "a/b/", out var exists) && exists);
        Assert.True(store.TryGetDirectory(bucket, "a/", out exists) && exists);
    }

    [Fact]
    public async Task A_patch_a_copy_and_a_finished_streamed_upload_record_the_object_they_made()
    {
        var bucket = fixture.NewBucket("mcs-writes");
        using var store = NewStore();
        var first = await store.UploadAsync(bucket, "f", Bytes("one"));

        var patched = await store.PatchMetadataAsync(bucket, "f", new MetadataPatch { Metadata = new Dictionary<string, string?> { ["k"] = "v" } });
        Assert.True(store.TryGetStat(bucket, "f", out var cached));
        Assert.Equal(patched.Metageneration, cached!.Metageneration);
        Assert.True(patched.Metageneration > first.Metageneration);

        await ListedAsync(store, bucket, "d/");
        var copy = await store.CopyAsync(bucket, "f", bucket, "d/g");
        Assert.True(store.TryGetStat(bucket, "d/g", out cached));
        Assert.Equal(copy.Generation, cached!.Generation);
        Assert.Equal("file", store.PeekListing(bucket, "d/")!.KindOf("g"));

        var data = new byte[1000];
        var upload = await store.StartStreamingUploadAsync(bucket, "s", new UploadOptions(), (offset, destination, _) =>
        {
            data.AsMemory((int)offset, destination.Length).CopyTo(destination);
            return ValueTask.CompletedTask;
        });
        Assert.False(store.TryGetStat(bucket, "s", out _));
        var streamed = await upload.FinishAsync(data.Length);
        Assert.True(store.TryGetStat(bucket, "s", out cached));
        Assert.Equal(streamed.Generation, cached!.Generation);
    }

    [Fact]
    public async Task A_delete_records_the_object_missing_and_out_of_its_listing()
    {
        var bucket = fixture.NewBucket("mcs-delete");
        using var store = NewStore();
        await ListedAsync(store, bucket, "d/");
        var info = await store.UploadAsync(bucket, "d/f", Bytes("one"));
        Assert.Equal("file", store.PeekListing(bucket, "d/")!.KindOf("f"));

        await store.DeleteAsync(bucket, "d/f", info.Generation);

        Assert.True(store.TryGetStat(bucket, "d/f", out var cached));
        Assert.Null(cached);
        Assert.Null(store.PeekListing(bucket, "d/")!.KindOf("f"));
    }

    [Fact]
    public async Task A_write_that_finds_its_object_changed_forgets_what_was_known_of_it()
    {
        var bucket = fixture.NewBucket("mcs-stale");
        using var store = NewStore();
        var info = await store.UploadAsync(bucket, "f", Bytes("one"));
        Assert.True(store.TryGetStat(bucket, "f", out _));

        // Someone else replaces it: the generation this mount knows is gone.
        Emulator.Store.PutObject(bucket, "f", Encoding.UTF8.GetBytes("theirs"));
        await Assert.ThrowsAsync<PreconditionFailedException>(() =>
            store.UploadAsync(bucket, "f", Bytes("two"), new UploadOptions { IfGenerationMatch = info.Generation }));
        Assert.False(store.TryGetStat(bucket, "f", out _));

        // Learnt again, then a delete of the generation this mount had: refused, and forgotten again.
        Assert.NotNull(await store.StatAsync(bucket, "f"));
        Assert.True(store.TryGetStat(bucket, "f", out _));
        await Assert.ThrowsAsync<PreconditionFailedException>(() => store.DeleteAsync(bucket, "f", info.Generation));
        Assert.False(store.TryGetStat(bucket, "f", out _));
    }

    [Fact]
    public async Task A_stat_through_the_store_always_asks_and_records_the_answer_even_none()
    {
        var bucket = fixture.NewBucket("mcs-stat");
        using var store = NewStore();
        Assert.Null(await store.StatAsync(bucket, "f"));
        Assert.True(store.TryGetStat(bucket, "f", out var cached));
        Assert.Null(cached);

        Emulator.Store.PutObject(bucket, "f", Encoding.UTF8.GetBytes("new"));
        var stats = Emulator.Requests.Count(RequestKind.GetObject);
        var info = await store.StatAsync(bucket, "f");

        Assert.NotNull(info);
        Assert.Equal(stats + 1, Emulator.Requests.Count(RequestKind.GetObject));
        Assert.True(store.TryGetStat(bucket, "f", out cached));
        Assert.Equal(info!.Generation, cached!.Generation);
    }

    [Fact]
    public async Task A_directory_probe_records_whether_the_directory_exists_and_its_placeholder()
    {
        var bucket = fixture.NewBucket("mcs-probe");
        using var store = NewStore();
        Emulator.Store.PutObject(bucket, "d/", []);
        Emulator.Store.PutObject(bucket, "d/f", [1]);
        Emulator.Store.PutObject(bucket, "e/f", [1]);

        Assert.True(await store.ProbeDirectoryAsync(bucket, "d/", CancellationToken.None));
        Assert.True(await store.ProbeDirectoryAsync(bucket, "e/", CancellationToken.None));
        Assert.False(await store.ProbeDirectoryAsync(bucket, "none/", CancellationToken.None));

        Assert.True(store.TryGetDirectory(bucket, "d/", out var exists) && exists);
        Assert.True(store.TryGetStat(bucket, "d/", out var placeholder) && placeholder!.Name == "d/");
        Assert.True(store.TryGetDirectory(bucket, "e/", out exists) && exists);
        Assert.True(store.TryGetStat(bucket, "e/", out placeholder) && placeholder is null);
        Assert.True(store.TryGetDirectory(bucket, "none/", out exists) && !exists);
    }

    /// <summary>A listing of names and their kinds, enough to see the cache's changes.</summary>
    private sealed class Names(ImmutableSortedDictionary<string, string> kinds, ObjectInfo? placeholder) : ICachedListing<Names>
    {
        public static readonly Names Empty = new(ImmutableSortedDictionary<string, string>.Empty, null);

        public int ApproximateCount => kinds.Count;

        public ObjectInfo? Placeholder => placeholder;

        public string? KindOf(string leaf) => kinds.GetValueOrDefault(leaf);

        public Names WithObject(string leaf, ObjectInfo info) => new(kinds.SetItem(leaf, "file"), placeholder);

        public Names WithDirectory(string leaf, string bucket, string prefix, ObjectInfo? placeholderOfIt) =>
            new(kinds.SetItem(leaf, "directory"), placeholder);

        public Names WithPlaceholder(ObjectInfo? newPlaceholder) => new(kinds, newPlaceholder);

        public Names Without(string leaf) => new(kinds.Remove(leaf), placeholder);
    }
}
