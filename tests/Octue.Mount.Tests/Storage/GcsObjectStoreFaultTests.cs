using Octue.Mount.Emulator;
using Octue.Mount.Integrity;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Storage;

/// <summary>
/// Injected failures: what is retried (and how often), what resumes, and what surfaces as which typed exception.
/// Each test uses its own bucket and scopes its faults to it, so tests sharing the emulator do not interfere.
/// </summary>
public sealed class GcsObjectStoreFaultTests(StoreFixture fixture) : IClassFixture<StoreFixture>
{
    private GcsObjectStore Store => fixture.Store;

    private GcsEmulator Emulator => fixture.Emulator;

    [Theory]
    [InlineData(503)]
    [InlineData(429)]
    [InlineData(500)]
    public async Task Transient_statuses_on_metadata_calls_are_retried_until_they_pass(int status)
    {
        string bucket = fixture.NewBucket();
        Emulator.Store.PutObject(bucket, "o", [1, 2, 3]);
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = status, Bucket = bucket, RequestKind = RequestKind.GetObject, Times = 2 });
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = status, Bucket = bucket, RequestKind = RequestKind.ListObjects, Times = 1 });

        Assert.NotNull(await Store.StatAsync(bucket, "o"));
        Assert.Single((await Store.ListAsync(bucket, new ListRequest())).Objects);
    }

    [Fact]
    public async Task A_failure_that_persists_is_a_transient_exception_after_exactly_max_retries()
    {
        string bucket = fixture.NewBucket();
        Emulator.Store.PutObject(bucket, "o", [1]);
        using GcsObjectStore store = fixture.CreateStore();
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = 503, Bucket = bucket, ObjectName = "o", Times = 1000 });
        try
        {
            var counted = new CountingStore(Emulator, RequestKind.GetObject);
            await Assert.ThrowsAsync<TransientStoreException>(() => store.StatAsync(bucket, "o"));
            Assert.Equal(StoreFixture.MaxRetries + 1, counted.Delta());
        }
        finally
        {
            Emulator.Faults.Clear();
        }
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public async Task Permission_failures_are_typed_and_not_retried(int status)
    {
        string bucket = fixture.NewBucket();
        Emulator.Store.PutObject(bucket, "o", [1]);
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = status, Bucket = bucket, ObjectName = "o", Times = 2 });
        await Assert.ThrowsAsync<PermissionDeniedException>(() => Store.StatAsync(bucket, "o"));
        // The second fault is still pending: the store did not retry.
        await Assert.ThrowsAsync<PermissionDeniedException>(() => Store.StatAsync(bucket, "o"));
        Assert.NotNull(await Store.StatAsync(bucket, "o"));
    }

    [Fact]
    public async Task A_connection_reset_mid_download_resumes_from_the_last_byte_and_verifies()
    {
        string bucket = fixture.NewBucket();
        byte[] data = TestData.Random(2 * 1024 * 1024, 10);
        Emulator.Store.PutObject(bucket, "o", data);
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.ResetConnection, Bucket = bucket, RequestKind = RequestKind.Download, AfterBytes = 700_000 });
        var downloads = new CountingStore(Emulator, RequestKind.Download);

        await using Stream read = await Store.OpenReadAsync(bucket, "o");
        Assert.Equal(data, await TestData.ReadAllAsync(read));
        Assert.Equal(2, downloads.Delta());
    }

    [Fact]
    public async Task A_ranged_read_reset_mid_body_resumes_within_its_range()
    {
        string bucket = fixture.NewBucket();
        byte[] data = TestData.Random(3 * 1024 * 1024, 11);
        Emulator.Store.PutObject(bucket, "o", data);
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.ResetConnection, Bucket = bucket, RequestKind = RequestKind.Download, AfterBytes = 500_000, Times = 2 });
        var downloads = new CountingStore(Emulator, RequestKind.Download);

        await using Stream read = await Store.OpenReadAsync(bucket, "o", offset: 100_000, length: 1_500_000);
        Assert.Equal(data.AsSpan(100_000, 1_500_000).ToArray(), await TestData.ReadAllAsync(read));
        Assert.Equal(3, downloads.Delta());
    }

    [Fact]
    public async Task A_download_that_stalls_is_abandoned_and_retried()
    {
        string bucket = fixture.NewBucket();
        byte[] data = TestData.Random(200_000, 17);
        Emulator.Store.PutObject(bucket, "o", data);
        using GcsObjectStore store = fixture.CreateStore(o => new ObjectStoreOptions
        {
            EmulatorHost = o.EmulatorHost,
            MaxRetries = o.MaxRetries,
            InitialBackoff = o.InitialBackoff,
            MaxBackoff = o.MaxBackoff,
            ReadStallTimeout = TimeSpan.FromSeconds(1),
        });
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.Delay, Delay = TimeSpan.FromSeconds(5), Bucket = bucket, RequestKind = RequestKind.Download });
        var downloads = new CountingStore(Emulator, RequestKind.Download);

        await using Stream read = await store.OpenReadAsync(bucket, "o");
        Assert.Equal(data, await TestData.ReadAllAsync(read));
        // Waiting the stall out would have taken one request; abandoning it takes more (a busy machine may be slow
        // to answer the retry within the short stall timeout too).
        Assert.True(downloads.Delta() >= 2, $"{downloads.Delta()} download request(s)");
    }

    [Fact]
    public async Task A_truncated_download_is_resumed_not_mistaken_for_the_end()
    {
        string bucket = fixture.NewBucket();
        byte[] data = TestData.Random(1024 * 1024, 12);
        Emulator.Store.PutObject(bucket, "o", data);
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.TruncateMedia, Bucket = bucket, RequestKind = RequestKind.Download, AfterBytes = 300_000 });

        await using Stream read = await Store.OpenReadAsync(bucket, "o");
        Assert.Equal(data, await TestData.ReadAllAsync(read));
    }

    [Fact]
    public async Task A_corrupted_download_raises_corruption_before_the_end_of_stream()
    {
        string bucket = fixture.NewBucket();
        byte[] data = TestData.Random(1024 * 1024, 13);
        Emulator.Store.PutObject(bucket, "o", data);
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.CorruptMedia, Bucket = bucket, RequestKind = RequestKind.Download, AfterBytes = 123_456 });

        await using Stream read = await Store.OpenReadAsync(bucket, "o");
        var error = await Assert.ThrowsAsync<CorruptionException>(() => TestData.ReadAllAsync(read));
        Assert.Contains("CRC32C", error.Message);
        Assert.Contains($"gs://{bucket}/o", error.Message);

        // The object itself is fine: a second read verifies.
        await using Stream again = await Store.OpenReadAsync(bucket, "o");
        Assert.Equal(data, await TestData.ReadAllAsync(again));
    }

    [Fact]
    public async Task A_ranged_read_that_covers_the_whole_object_is_verified_too()
    {
        string bucket = fixture.NewBucket();
        byte[] data = TestData.Random(100_000, 21);
        Emulator.Store.PutObject(bucket, "o", data);
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.CorruptMedia, Bucket = bucket, RequestKind = RequestKind.Download, AfterBytes = 99_999 });

        // As a chunked reader asks for a small object: from 0, more than its size.
        await using Stream read = await Store.OpenReadAsync(bucket, "o", offset: 0, length: 1 << 20);
        await Assert.ThrowsAsync<CorruptionException>(() => TestData.ReadAllAsync(read));

        await using Stream clean = await Store.OpenReadAsync(bucket, "o", offset: 0, length: 1 << 20);
        Assert.Equal(data, await TestData.ReadAllAsync(clean));
    }

    [Fact]
    public async Task Failed_chunks_of_a_resumable_upload_are_resumed_from_what_the_server_holds()
    {
        string bucket = fixture.NewBucket();
        using GcsObjectStore store = fixture.CreateStore(o => new ObjectStoreOptions
        {
            EmulatorHost = o.EmulatorHost,
            ResumableThreshold = 256 * 1024,
            UploadChunkSize = 256 * 1024,
            InitialBackoff = o.InitialBackoff,
            MaxBackoff = o.MaxBackoff,
        });
        byte[] data = TestData.Random((1024 * 1024) + 5, 14);
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = 503, Bucket = bucket, RequestKind = RequestKind.Upload, Method = "PUT", Times = 1 });
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.ResetConnection, Bucket = bucket, RequestKind = RequestKind.Upload, Method = "PUT", AfterBytes = 100_000, Times = 1 });

        ObjectInfo info = await store.UploadAsync(bucket, "big", new MemoryStream(data));

        Assert.Equal(Crc32C.Compute(data), info.Crc32c);
        Assert.True(Emulator.Store.TryGetObject(bucket, "big", out StoredObject stored));
        Assert.Equal(data, stored.Data);
    }

    [Fact]
    public async Task A_failed_small_upload_is_retried()
    {
        string bucket = fixture.NewBucket();
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = 503, Bucket = bucket, RequestKind = RequestKind.Upload, Times = 2 });
        byte[] data = TestData.Random(5000, 15);
        ObjectInfo info = await Store.UploadAsync(bucket, "small", new MemoryStream(data));
        Assert.Equal(Crc32C.Compute(data), info.Crc32c);
        Assert.True(Emulator.Store.TryGetObject(bucket, "small", out StoredObject stored));
        Assert.Equal(data, stored.Data);
    }

    [Fact]
    public async Task A_conditional_upload_whose_reply_was_lost_is_recognised_on_retry_not_reported_as_a_conflict()
    {
        string bucket = fixture.NewBucket();
        LostReplyHandler? lossy = null;
        using GcsObjectStore store = fixture.CreateStore(o => new ObjectStoreOptions
        {
            EmulatorHost = o.EmulatorHost,
            MaxRetries = o.MaxRetries,
            InitialBackoff = o.InitialBackoff,
            MaxBackoff = o.MaxBackoff,
            HttpHandlerWrapper = inner => lossy = new LostReplyHandler(inner),
        });
        byte[] data = TestData.Random(20_000, 18);
        var uploads = new CountingStore(Emulator, RequestKind.Upload);

        ObjectInfo info = await store.UploadAsync(bucket, "o", new MemoryStream(data), new UploadOptions { IfGenerationMatch = 0 });

        Assert.Equal(1, lossy!.Lost);
        Assert.Equal(2, uploads.Delta()); // the first (stored, reply lost) and the retry (412 against it)
        Assert.True(Emulator.Store.TryGetObject(bucket, "o", out StoredObject stored));
        Assert.Equal(stored.Generation, info.Generation);
        Assert.Equal(data, stored.Data);

        // Someone else's bytes under the same precondition are still a conflict.
        await Assert.ThrowsAsync<PreconditionFailedException>(() =>
            store.UploadAsync(bucket, "o", new MemoryStream(TestData.Random(20_000, 19)), new UploadOptions { IfGenerationMatch = 0 }));
    }

    [Fact]
    public async Task A_resumable_upload_whose_final_reply_was_lost_learns_the_outcome_from_the_session()
    {
        string bucket = fixture.NewBucket();
        byte[] data = TestData.Random(600_000, 20);
        LostReplyHandler? lossy = null;
        using GcsObjectStore store = fixture.CreateStore(o => new ObjectStoreOptions
        {
            EmulatorHost = o.EmulatorHost,
            ResumableThreshold = 256 * 1024,
            UploadChunkSize = 256 * 1024,
            MaxRetries = o.MaxRetries,
            InitialBackoff = o.InitialBackoff,
            MaxBackoff = o.MaxBackoff,
            HttpHandlerWrapper = inner => lossy = new LostReplyHandler(inner,
                request => request.Content?.Headers.ContentRange is { To: { } to } && to == data.Length - 1),
        });

        ObjectInfo info = await store.UploadAsync(bucket, "o", new MemoryStream(data), new UploadOptions { IfGenerationMatch = 0 });

        Assert.Equal(1, lossy!.Lost);
        Assert.True(Emulator.Store.TryGetObject(bucket, "o", out StoredObject stored));
        Assert.Equal(stored.Generation, info.Generation);
        Assert.Equal(data, stored.Data);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_upload_corrupted_in_flight_is_refused_and_leaves_no_object(bool resumable)
    {
        string bucket = fixture.NewBucket();
        var corrupter = new CorruptingHandler.Switch();
        using GcsObjectStore store = fixture.CreateStore(o => new ObjectStoreOptions
        {
            EmulatorHost = o.EmulatorHost,
            ResumableThreshold = resumable ? 256 * 1024 : 8 * 1024 * 1024,
            UploadChunkSize = 256 * 1024,
            MaxRetries = o.MaxRetries,
            InitialBackoff = o.InitialBackoff,
            MaxBackoff = o.MaxBackoff,
            HttpHandlerWrapper = inner => new CorruptingHandler(inner, corrupter),
        });
        byte[] data = TestData.Random(600_000, 16);
        corrupter.Armed = true;

        var error = await Assert.ThrowsAsync<CorruptionException>(() => store.UploadAsync(bucket, "o", new MemoryStream(data)));

        Assert.True(corrupter.Corrupted > 0);
        Assert.Contains($"gs://{bucket}/o", error.Message);
        Assert.False(Emulator.Store.TryGetObject(bucket, "o", out _));
    }

    /// <summary>Counts requests of one kind from now on.</summary>
    private sealed class CountingStore(GcsEmulator emulator, RequestKind kind)
    {
        private readonly long _start = emulator.Requests.Count(kind);

        public long Delta() => emulator.Requests.Count(kind) - _start;
    }
}
