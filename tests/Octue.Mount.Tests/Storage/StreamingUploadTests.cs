using Octue.Mount.Emulator;
using Octue.Mount.Integrity;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Storage;

/// <summary>
/// A resumable upload fed while its content is written: exact when finished, nothing published until then (never
/// finished, cancelled, refused at the finish), failed chunks resumed from what the server holds.
/// </summary>
public sealed class StreamingUploadTests(StoreFixture fixture) : IClassFixture<StoreFixture>
{
    private const int Quantum = 256 * 1024;

    private GcsEmulator Emulator => fixture.Emulator;

    private static StreamingUploadSource From(byte[] data) => (offset, destination, _) =>
    {
        data.AsMemory((int)offset, destination.Length).CopyTo(destination);
        return ValueTask.CompletedTask;
    };

    [Fact]
    public async Task Chunks_sent_while_the_content_grows_make_the_exact_object_with_its_metadata_once_finished()
    {
        string bucket = fixture.NewBucket("stream");
        byte[] data = TestData.Random((5 * Quantum) + 12_345, 31);
        var options = new UploadOptions
        {
            ContentType = "text/plain",
            Metadata = new Dictionary<string, string> { ["k"] = "v" },
            IfGenerationMatch = 0,
        };
        long uploadsBefore = Emulator.Requests.Count(RequestKind.Upload);

        IStreamingUpload upload = await fixture.Store.StartStreamingUploadAsync(bucket, "o", options, From(data));
        await upload.AppendAsync(2 * Quantum);
        await upload.AppendAsync(4 * Quantum);
        Assert.Equal(4 * Quantum, upload.Persisted);
        Assert.False(Emulator.Store.TryGetObject(bucket, "o", out _)); // nothing published before the finish
        ObjectInfo info = await upload.FinishAsync(data.Length);

        Assert.True(Emulator.Store.TryGetObject(bucket, "o", out StoredObject stored));
        Assert.Equal(data, stored.Data);
        Assert.Equal(stored.Generation, info.Generation);
        Assert.Equal(Crc32C.Compute(data), info.Crc32c);
        Assert.Equal("v", stored.Metadata["k"]);
        Assert.Equal("text/plain", info.ContentType);
        // The start, two chunks and the last one.
        Assert.Equal(4, Emulator.Requests.Count(RequestKind.Upload) - uploadsBefore);
    }

    [Fact]
    public async Task A_finish_at_a_chunk_boundary_declares_the_length_with_an_empty_last_request()
    {
        string bucket = fixture.NewBucket("stream");
        byte[] data = TestData.Random(2 * Quantum, 32);
        IStreamingUpload upload = await fixture.Store.StartStreamingUploadAsync(bucket, "o", new UploadOptions(), From(data));
        await upload.AppendAsync(2 * Quantum);

        await upload.FinishAsync(data.Length);

        Assert.True(Emulator.Store.TryGetObject(bucket, "o", out StoredObject stored));
        Assert.Equal(data, stored.Data);
    }

    [Fact]
    public async Task An_unfinished_or_cancelled_upload_publishes_nothing_and_the_old_object_stays()
    {
        string bucket = fixture.NewBucket("stream");
        Emulator.Store.PutObject(bucket, "kept", [1, 2, 3]);
        byte[] data = TestData.Random(3 * Quantum, 33);

        IStreamingUpload abandoned = await fixture.Store.StartStreamingUploadAsync(bucket, "new", new UploadOptions(), From(data));
        await abandoned.AppendAsync(3 * Quantum);
        IStreamingUpload cancelled = await fixture.Store.StartStreamingUploadAsync(bucket, "kept", new UploadOptions(), From(data));
        await cancelled.AppendAsync(3 * Quantum);
        await cancelled.CancelAsync();

        Assert.False(Emulator.Store.TryGetObject(bucket, "new", out _));
        Assert.True(Emulator.Store.TryGetObject(bucket, "kept", out StoredObject kept));
        Assert.Equal([1, 2, 3], kept.Data);
        await Assert.ThrowsAnyAsync<ObjectStoreException>(() => cancelled.FinishAsync(data.Length));
        Assert.Equal([1, 2, 3], Emulator.Store.TryGetObject(bucket, "kept", out kept) ? kept.Data : null);
    }

    [Fact]
    public async Task A_lost_race_at_the_finish_is_a_precondition_failure_and_the_winner_stays()
    {
        string bucket = fixture.NewBucket("stream");
        byte[] data = TestData.Random((2 * Quantum) + 7, 34);
        IStreamingUpload upload = await fixture.Store.StartStreamingUploadAsync(bucket, "o", new UploadOptions { IfGenerationMatch = 0 }, From(data));
        await upload.AppendAsync(2 * Quantum);
        Emulator.Store.PutObject(bucket, "o", [9, 9]);

        await Assert.ThrowsAsync<PreconditionFailedException>(() => upload.FinishAsync(data.Length));

        Assert.True(Emulator.Store.TryGetObject(bucket, "o", out StoredObject stored));
        Assert.Equal([9, 9], stored.Data);
    }

    [Fact]
    public async Task Failed_chunks_are_resumed_from_what_the_server_holds()
    {
        string bucket = fixture.NewBucket("stream");
        byte[] data = TestData.Random((4 * Quantum) + 99, 35);
        IStreamingUpload upload = await fixture.Store.StartStreamingUploadAsync(bucket, "o", new UploadOptions(), From(data));
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = 503, Bucket = bucket, RequestKind = RequestKind.Upload, Method = "PUT", Times = 2 });
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.ResetConnection, Bucket = bucket, RequestKind = RequestKind.Upload, Method = "PUT", AfterBytes = 100_000, Times = 1 });

        await upload.AppendAsync(2 * Quantum);
        await upload.AppendAsync(4 * Quantum);
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = 503, Bucket = bucket, RequestKind = RequestKind.Upload, Method = "PUT", Times = 1 });
        await upload.FinishAsync(data.Length);

        Assert.True(Emulator.Store.TryGetObject(bucket, "o", out StoredObject stored));
        Assert.Equal(data, stored.Data);
    }

    [Fact]
    public async Task A_finish_whose_reply_was_lost_learns_the_object_from_the_session()
    {
        string bucket = fixture.NewBucket("stream");
        byte[] data = TestData.Random((2 * Quantum) + 3, 39);
        LostReplyHandler? lossy = null;
        using GcsObjectStore store = fixture.CreateStore(o => new ObjectStoreOptions
        {
            EmulatorHost = o.EmulatorHost,
            MaxRetries = o.MaxRetries,
            InitialBackoff = o.InitialBackoff,
            MaxBackoff = o.MaxBackoff,
            HttpHandlerWrapper = inner => lossy = new LostReplyHandler(inner,
                request => request.Content?.Headers.ContentRange is { To: { } to } && to == data.Length - 1),
        });
        IStreamingUpload upload = await store.StartStreamingUploadAsync(bucket, "o", new UploadOptions { IfGenerationMatch = 0 }, From(data));
        await upload.AppendAsync(2 * Quantum);

        ObjectInfo info = await upload.FinishAsync(data.Length);

        Assert.Equal(1, lossy!.Lost);
        Assert.True(Emulator.Store.TryGetObject(bucket, "o", out StoredObject stored));
        Assert.Equal(stored.Generation, info.Generation);
        Assert.Equal(data, stored.Data);
    }

    [Fact]
    public async Task Failures_past_the_retries_surface_and_nothing_is_published()
    {
        string bucket = fixture.NewBucket("stream");
        byte[] data = TestData.Random(3 * Quantum, 36);
        IStreamingUpload upload = await fixture.Store.StartStreamingUploadAsync(bucket, "o", new UploadOptions(), From(data));
        Emulator.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = 503, Bucket = bucket, RequestKind = RequestKind.Upload, Method = "PUT", Times = 1000 });
        try
        {
            await Assert.ThrowsAsync<TransientStoreException>(() => upload.AppendAsync(2 * Quantum));
            await Assert.ThrowsAsync<TransientStoreException>(() => upload.FinishAsync(data.Length));
        }
        finally
        {
            Emulator.Faults.Clear();
        }

        Assert.False(Emulator.Store.TryGetObject(bucket, "o", out _));
    }

    [Fact]
    public async Task Bytes_corrupted_on_the_way_are_refused_at_the_finish_and_nothing_is_published()
    {
        string bucket = fixture.NewBucket("stream");
        var corrupter = new CorruptingHandler.Switch();
        using GcsObjectStore store = fixture.CreateStore(o => new ObjectStoreOptions
        {
            EmulatorHost = o.EmulatorHost,
            MaxRetries = o.MaxRetries,
            InitialBackoff = o.InitialBackoff,
            MaxBackoff = o.MaxBackoff,
            HttpHandlerWrapper = inner => new CorruptingHandler(inner, corrupter),
        });
        byte[] data = TestData.Random((2 * Quantum) + 5, 37);
        IStreamingUpload upload = await store.StartStreamingUploadAsync(bucket, "o", new UploadOptions(), From(data));
        corrupter.Armed = true;
        await upload.AppendAsync(2 * Quantum);
        corrupter.Armed = false;

        await Assert.ThrowsAsync<CorruptionException>(() => upload.FinishAsync(data.Length));

        Assert.True(corrupter.Corrupted > 0);
        Assert.False(Emulator.Store.TryGetObject(bucket, "o", out _));
    }

    [Fact]
    public async Task A_chunk_before_the_last_must_be_whole_multiples_of_256_KiB()
    {
        string bucket = fixture.NewBucket("stream");
        byte[] data = TestData.Random(Quantum + 1, 38);
        IStreamingUpload upload = await fixture.Store.StartStreamingUploadAsync(bucket, "o", new UploadOptions(), From(data));
        await Assert.ThrowsAsync<ArgumentException>(() => upload.AppendAsync(Quantum + 1));
    }
}
