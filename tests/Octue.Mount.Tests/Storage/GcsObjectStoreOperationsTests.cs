using System.IO.Compression;
using System.Text;
using Google.Cloud.Storage.V1;
using Octue.Mount.Emulator;
using Octue.Mount.Integrity;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Storage;

/// <summary>Every IObjectStore operation through GcsObjectStore, the Google client and the emulator.</summary>
public sealed class GcsObjectStoreOperationsTests(StoreFixture fixture) : IClassFixture<StoreFixture>
{
    private GcsObjectStore Store => fixture.Store;

    private EmulatorStore Server => fixture.Emulator.Store;

    [Fact]
    public async Task Stat_returns_the_object_metadata_or_null_when_absent()
    {
        string bucket = fixture.NewBucket();
        byte[] data = Encoding.UTF8.GetBytes("This is a test upload.");
        long generation = Server.PutObject(bucket, "dir/a b.txt", data, new Dictionary<string, string> { ["k"] = "v" }, "text/plain");

        ObjectInfo? info = await Store.StatAsync(bucket, "dir/a b.txt");

        Assert.NotNull(info);
        Assert.Equal(bucket, info.Bucket);
        Assert.Equal("dir/a b.txt", info.Name);
        Assert.Equal(data.Length, info.Size);
        Assert.Equal(generation, info.Generation);
        Assert.Equal(1, info.Metageneration);
        Assert.Equal("1mmhsg==", GcsHash.ToBase64(info.Crc32c!.Value));
        Assert.Equal(GcsHash.ComputeMd5(data), info.Md5);
        Assert.Equal("text/plain", info.ContentType);
        Assert.Equal("v", info.Metadata["k"]);
        Assert.NotEqual(default, info.Updated);
        Assert.Null(await Store.StatAsync(bucket, "dir/missing"));
    }

    [Fact]
    public async Task Listing_honours_prefix_delimiter_pages_trailing_delimiter_and_offsets()
    {
        string bucket = fixture.NewBucket();
        foreach (string name in new[] { "a/1", "a/2", "a/3", "a/sub/x", "a/sub/y", "a/", "b/1", "top" })
        {
            Server.PutObject(bucket, name, [1]);
        }

        ObjectListing shallow = await Store.ListAsync(bucket, new ListRequest { Prefix = "a/", Delimiter = "/" });
        Assert.Equal(["a/", "a/1", "a/2", "a/3"], shallow.Objects.Select(o => o.Name));
        Assert.Equal(["a/sub/"], shallow.Prefixes);
        Assert.Null(shallow.NextPageToken);

        ObjectListing trailing = await Store.ListAsync(bucket, new ListRequest { Delimiter = "/", IncludeTrailingDelimiter = true });
        Assert.Equal(["a/", "b/"], trailing.Prefixes);
        Assert.Equal(["a/", "top"], trailing.Objects.Select(o => o.Name).Order(StringComparer.Ordinal));

        var paged = new List<string>();
        string? token = null;
        int pages = 0;
        do
        {
            ObjectListing page = await Store.ListAsync(bucket, new ListRequest { PageSize = 3, PageToken = token });
            Assert.True(page.Objects.Count <= 3);
            paged.AddRange(page.Objects.Select(o => o.Name));
            token = page.NextPageToken;
            pages++;
        }
        while (token is not null);
        Assert.Equal(3, pages);
        Assert.Equal(["a/", "a/1", "a/2", "a/3", "a/sub/x", "a/sub/y", "b/1", "top"], paged);

        ObjectListing window = await Store.ListAsync(bucket, new ListRequest { StartOffset = "a/2", EndOffset = "b/1" });
        Assert.Equal(["a/2", "a/3", "a/sub/x", "a/sub/y"], window.Objects.Select(o => o.Name));
    }

    [Fact]
    public async Task Listing_a_missing_bucket_is_not_found()
    {
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.ListAsync("no-such-bucket-here", new ListRequest()));
    }

    [Fact]
    public async Task A_whole_read_returns_the_bytes_and_a_range_returns_the_slice()
    {
        string bucket = fixture.NewBucket();
        byte[] data = TestData.Random(300_000, 1);
        Server.PutObject(bucket, "obj", data);

        await using (Stream whole = await Store.OpenReadAsync(bucket, "obj"))
        {
            Assert.Equal(data, await TestData.ReadAllAsync(whole));
        }
        await using (Stream middle = await Store.OpenReadAsync(bucket, "obj", offset: 1000, length: 5000))
        {
            Assert.Equal(data.AsSpan(1000, 5000).ToArray(), await TestData.ReadAllAsync(middle));
        }
        await using (Stream tail = await Store.OpenReadAsync(bucket, "obj", offset: 299_990))
        {
            Assert.Equal(data.AsSpan(299_990).ToArray(), await TestData.ReadAllAsync(tail));
        }
        await using (Stream beyond = await Store.OpenReadAsync(bucket, "obj", offset: 299_000, length: 10_000))
        {
            Assert.Equal(data.AsSpan(299_000).ToArray(), await TestData.ReadAllAsync(beyond));
        }
        await using (Stream atEnd = await Store.OpenReadAsync(bucket, "obj", offset: 300_000))
        {
            Assert.Empty(await TestData.ReadAllAsync(atEnd));
        }
        await using (Stream explicitWhole = await Store.OpenReadAsync(bucket, "obj", offset: 0, length: data.Length))
        {
            Assert.Equal(data, await TestData.ReadAllAsync(explicitWhole));
        }
    }

    [Fact]
    public async Task Reads_of_empty_and_missing_objects_and_pinned_generations()
    {
        string bucket = fixture.NewBucket();
        Server.PutObject(bucket, "empty", []);
        await using (Stream empty = await Store.OpenReadAsync(bucket, "empty"))
        {
            Assert.Empty(await TestData.ReadAllAsync(empty));
        }
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.OpenReadAsync(bucket, "missing"));

        long first = Server.PutObject(bucket, "versioned", [1, 2, 3]);
        Server.PutObject(bucket, "versioned", [4, 5, 6]);
        await Assert.ThrowsAnyAsync<ObjectStoreException>(() => Store.OpenReadAsync(bucket, "versioned", generation: first));
    }

    [Fact]
    public async Task A_small_upload_is_one_request_with_content_type_metadata_and_hashes()
    {
        string bucket = fixture.NewBucket();
        byte[] data = Encoding.UTF8.GetBytes("{\"height\": 32}");
        long uploadsBefore = fixture.Emulator.Requests.Count(RequestKind.Upload);

        ObjectInfo info = await Store.UploadAsync(bucket, "data/h.json", new MemoryStream(data), new UploadOptions
        {
            ContentType = "application/json",
            Metadata = new Dictionary<string, string> { ["octue__id"] = "abc" },
        });

        Assert.Equal(1, fixture.Emulator.Requests.Count(RequestKind.Upload) - uploadsBefore);
        Assert.Equal("L3eGig==", GcsHash.ToBase64(info.Crc32c!.Value));
        Assert.Equal(data.Length, info.Size);
        Assert.True(Server.TryGetObject(bucket, "data/h.json", out StoredObject stored));
        Assert.Equal(data, stored.Data);
        Assert.Equal("application/json", stored.ContentType);
        Assert.Equal("abc", stored.Metadata["octue__id"]);
        Assert.Equal(info.Generation, stored.Generation);
    }

    [Fact]
    public async Task A_large_upload_is_resumable_in_chunks_of_the_configured_size()
    {
        string bucket = fixture.NewBucket();
        using GcsObjectStore store = fixture.CreateStore(o => new ObjectStoreOptions
        {
            EmulatorHost = o.EmulatorHost,
            ResumableThreshold = 512 * 1024,
            UploadChunkSize = 256 * 1024,
        });
        byte[] data = TestData.Random((1024 * 1024) + 17, 2);
        long uploadsBefore = fixture.Emulator.Requests.Count(RequestKind.Upload);

        ObjectInfo info = await store.UploadAsync(bucket, "big.bin", new MemoryStream(data), new UploadOptions { ContentType = "application/x-test" });

        // One request opens the session, five carry the chunks (4 × 256 KiB + 17 bytes).
        Assert.Equal(6, fixture.Emulator.Requests.Count(RequestKind.Upload) - uploadsBefore);
        Assert.Equal(Crc32C.Compute(data), info.Crc32c);
        Assert.True(Server.TryGetObject(bucket, "big.bin", out StoredObject stored));
        Assert.Equal(data, stored.Data);
        Assert.Equal("application/x-test", stored.ContentType);
    }

    [Fact]
    public async Task Uploads_from_streams_that_cannot_seek_and_from_a_middle_position()
    {
        string bucket = fixture.NewBucket();
        byte[] data = TestData.Random(100_000, 3);
        await Store.UploadAsync(bucket, "piped", new TestData.ForwardOnlyStream(data));
        Assert.True(Server.TryGetObject(bucket, "piped", out StoredObject piped));
        Assert.Equal(data, piped.Data);

        var positioned = new MemoryStream(data) { Position = 40_000 };
        ObjectInfo info = await Store.UploadAsync(bucket, "tail", positioned);
        Assert.Equal(60_000, info.Size);
        Assert.True(Server.TryGetObject(bucket, "tail", out StoredObject tail));
        Assert.Equal(data.AsSpan(40_000).ToArray(), tail.Data);
    }

    [Fact]
    public async Task Upload_generation_preconditions_are_enforced()
    {
        string bucket = fixture.NewBucket();
        ObjectInfo first = await Store.UploadAsync(bucket, "o", new MemoryStream([1]), new UploadOptions { IfGenerationMatch = 0 });
        await Assert.ThrowsAsync<PreconditionFailedException>(() =>
            Store.UploadAsync(bucket, "o", new MemoryStream([2]), new UploadOptions { IfGenerationMatch = 0 }));
        ObjectInfo second = await Store.UploadAsync(bucket, "o", new MemoryStream([3]), new UploadOptions { IfGenerationMatch = first.Generation });
        Assert.True(second.Generation > first.Generation);
        await Assert.ThrowsAsync<PreconditionFailedException>(() =>
            Store.UploadAsync(bucket, "o", new MemoryStream([4]), new UploadOptions { IfGenerationMatch = first.Generation }));
        Assert.True(Server.TryGetObject(bucket, "o", out StoredObject stored));
        Assert.Equal([3], stored.Data);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Upload_metageneration_preconditions_are_enforced(bool resumable)
    {
        string bucket = fixture.NewBucket();
        using GcsObjectStore store = GcsObjectStore.Create(new ObjectStoreOptions
        {
            EmulatorHost = fixture.Emulator.HostAndPort,
            ResumableThreshold = resumable ? 0 : ObjectStoreOptions.DefaultChunkSize,
        });
        ObjectInfo first = await store.UploadAsync(bucket, "o", new MemoryStream([1]));
        ObjectInfo patched = await store.PatchMetadataAsync(bucket, "o", new MetadataPatch { Metadata = new Dictionary<string, string?> { ["k"] = "v" } });
        Assert.Equal(first.Metageneration + 1, patched.Metageneration);

        // The metadata changed since generation and metageneration were read: the upload is refused, nothing changes.
        await Assert.ThrowsAsync<PreconditionFailedException>(() => store.UploadAsync(bucket, "o", new MemoryStream([2]),
            new UploadOptions { IfGenerationMatch = first.Generation, IfMetagenerationMatch = first.Metageneration }));
        Assert.True(Server.TryGetObject(bucket, "o", out StoredObject unchanged));
        Assert.Equal([1], unchanged.Data);
        Assert.Equal("v", unchanged.Metadata["k"]);

        ObjectInfo second = await store.UploadAsync(bucket, "o", new MemoryStream([3]),
            new UploadOptions { IfGenerationMatch = first.Generation, IfMetagenerationMatch = patched.Metageneration });
        Assert.True(second.Generation > first.Generation);
        Assert.True(Server.TryGetObject(bucket, "o", out StoredObject stored));
        Assert.Equal([3], stored.Data);
    }

    [Fact]
    public async Task A_wrong_known_hash_is_refused_by_the_server_and_nothing_is_stored()
    {
        string bucket = fixture.NewBucket();
        await Assert.ThrowsAsync<CorruptionException>(() =>
            Store.UploadAsync(bucket, "o", new MemoryStream([1, 2, 3]), new UploadOptions { Crc32c = 0x12345678 }));
        Assert.False(Server.TryGetObject(bucket, "o", out _));
    }

    [Fact]
    public async Task Metadata_patch_merges_removes_and_honours_the_metageneration()
    {
        string bucket = fixture.NewBucket();
        Server.PutObject(bucket, "o", [1], new Dictionary<string, string> { ["keep"] = "1", ["drop"] = "2" }, "text/plain");

        ObjectInfo patched = await Store.PatchMetadataAsync(bucket, "o", new MetadataPatch
        {
            Metadata = new Dictionary<string, string?> { ["drop"] = null, ["new"] = "3" },
            ContentType = "application/json",
        }, ifMetagenerationMatch: 1);

        Assert.Equal(2, patched.Metageneration);
        Assert.Equal(new Dictionary<string, string> { ["keep"] = "1", ["new"] = "3" }, patched.Metadata);
        Assert.Equal("application/json", patched.ContentType);
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.PatchMetadataAsync(bucket, "o",
            new MetadataPatch { Metadata = new Dictionary<string, string?> { ["x"] = "y" } }, ifMetagenerationMatch: 1));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.PatchMetadataAsync(bucket, "missing",
            new MetadataPatch { Metadata = new Dictionary<string, string?> { ["x"] = "y" } }));
    }

    [Fact]
    public async Task Copy_is_server_side_and_honours_source_and_destination_preconditions()
    {
        string bucket = fixture.NewBucket();
        string other = fixture.NewBucket();
        byte[] data = TestData.Random(10_000, 4);
        long source = Server.PutObject(bucket, "src", data, new Dictionary<string, string> { ["m"] = "1" }, "image/png");

        ObjectInfo copy = await Store.CopyAsync(bucket, "src", other, "dst/copy", ifSourceGenerationMatch: source, ifGenerationMatch: 0);
        Assert.Equal(other, copy.Bucket);
        Assert.Equal(Crc32C.Compute(data), copy.Crc32c);
        Assert.True(Server.TryGetObject(other, "dst/copy", out StoredObject stored));
        Assert.Equal(data, stored.Data);
        Assert.Equal("1", stored.Metadata["m"]);

        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.CopyAsync(bucket, "src", other, "dst/copy", ifGenerationMatch: 0));
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.CopyAsync(bucket, "src", other, "dst/2", ifSourceGenerationMatch: source + 1));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.CopyAsync(bucket, "nothing", other, "dst/3"));
    }

    [Fact]
    public async Task Delete_honours_the_generation_and_reports_missing_objects()
    {
        string bucket = fixture.NewBucket();
        long generation = Server.PutObject(bucket, "o", [1]);
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.DeleteAsync(bucket, "o", generation + 1));
        Assert.True(Server.TryGetObject(bucket, "o", out _));
        await Store.DeleteAsync(bucket, "o", generation);
        Assert.False(Server.TryGetObject(bucket, "o", out _));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Store.DeleteAsync(bucket, "o"));
    }

    [Fact]
    public async Task Buckets_can_be_created_listed_and_checked()
    {
        string name = $"made-{Guid.NewGuid():N}"[..20];
        Assert.False(await Store.BucketExistsAsync(name));
        await Store.CreateBucketAsync("test-project", name);
        await Store.CreateBucketAsync("test-project", name); // already there: not an error
        Assert.True(await Store.BucketExistsAsync(name));
        Assert.Contains(name, await Store.ListBucketsAsync("test-project"));
    }

    [Fact]
    public async Task Names_with_awkward_characters_round_trip()
    {
        string bucket = fixture.NewBucket();
        foreach (string name in new[] { "with space", "per%cent", "plus+sign", "hash#tag", "question?mark", "ünïcødé/文件", "trailing/", "a//b" })
        {
            byte[] data = Encoding.UTF8.GetBytes(name);
            await Store.UploadAsync(bucket, name, new MemoryStream(data));
            ObjectInfo? info = await Store.StatAsync(bucket, name);
            Assert.NotNull(info);
            Assert.Equal(name, info.Name);
            await using Stream read = await Store.OpenReadAsync(bucket, name);
            Assert.Equal(data, await TestData.ReadAllAsync(read));
        }
    }

    [Fact]
    public async Task Objects_stored_gzip_encoded_are_read_as_stored_and_verified()
    {
        string bucket = fixture.NewBucket();
        byte[] text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("compressible line of text\n", 2000)));
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(text);
        }
        byte[] stored = compressed.ToArray();
        using StorageClient client = new StorageClientBuilder
        {
            BaseUri = EmulatorEndpoint.Normalize(fixture.Emulator.HostAndPort),
            UnauthenticatedAccess = true,
        }.Build();
        await client.UploadObjectAsync(new Google.Apis.Storage.v1.Data.Object
        {
            Bucket = bucket,
            Name = "notes.txt",
            ContentType = "text/plain",
            ContentEncoding = "gzip",
        }, new MemoryStream(stored));

        ObjectInfo? info = await Store.StatAsync(bucket, "notes.txt");
        Assert.Equal(stored.Length, info!.Size);
        await using (Stream read = await Store.OpenReadAsync(bucket, "notes.txt"))
        {
            byte[] bytes = await TestData.ReadAllAsync(read);
            Assert.Equal(stored, bytes);
            using var inflate = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            Assert.Equal(text, await TestData.ReadAllAsync(inflate));
        }
        await using (Stream part = await Store.OpenReadAsync(bucket, "notes.txt", offset: 10, length: 20))
        {
            Assert.Equal(stored.AsSpan(10, 20).ToArray(), await TestData.ReadAllAsync(part));
        }
    }
}
