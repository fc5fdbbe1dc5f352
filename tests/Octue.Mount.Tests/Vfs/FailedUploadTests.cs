using System.Text;
using Octue.Mount.Emulator;
using Octue.Mount.Storage;
using Octue.Mount.Tests.Octue;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// Uploads that fail, at close and at the recovery after a crash, through the one conditional upload: a refusal for
/// good (a 4xx other than 408 and 429, a bucket that is gone) moves the bytes to conflicts/ once and is never retried;
/// a failure that may pass keeps them staged for a later attempt; an upload whose reply was lost is no conflict.
/// Faults are injected in the emulator; the store retries twice.
/// </summary>
public sealed class FailedUploadTests : IClassFixture<VfsFixture>, IDisposable
{
    private readonly VfsFixture _fixture;

    public FailedUploadTests(VfsFixture fixture) => _fixture = fixture;

    public void Dispose() => _fixture.Emulator.Faults.Clear();

    private long Uploads => _fixture.Emulator.Requests.Count(RequestKind.Upload);

    private static string[] StagedData(string cache) => Directory.GetFiles(Path.Combine(cache, "staging"), "*.data");

    private static string[] Kept(string cache)
    {
        var folder = Path.Combine(cache, "conflicts");
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(p => !p.EndsWith(".json", StringComparison.Ordinal)).ToArray()
            : [];
    }

    private void RefuseUploads(string bucket, int status) => _fixture.Emulator.Faults.Add(new FaultRule
    {
        Kind = FaultKind.Status, StatusCode = status, Bucket = bucket, RequestKind = RequestKind.Upload, Times = 1000,
    });

    [Fact]
    public async Task An_upload_refused_for_good_at_close_goes_to_conflicts_once_and_is_not_retried_at_the_next_start()
    {
        var bucket = _fixture.NewBucket();
        var generation = _fixture.Put(bucket, "doc.txt", "saved");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        using var counters = new FileSystemCounters();
        var file = await mount.LookupPathAsync("doc.txt");
        var handle = (await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Write | OpenFlags.Truncate)).Value;
        await mount.Fs.WriteAsync(handle, 0, "refused change"u8.ToArray());
        RefuseUploads(bucket, 403);

        Assert.Equal(VfsError.AccessDenied, await mount.Fs.FlushAsync(handle));
        // The bytes are kept once; nothing more of this handle is uploaded.
        Assert.Equal(VfsError.AccessDenied, (await mount.Fs.WriteAsync(handle, 0, "more"u8.ToArray())).Error);
        Assert.Equal(VfsError.AccessDenied, await mount.Fs.ReleaseAsync(handle));

        Assert.Equal("refused change", File.ReadAllText(Assert.Single(Kept(mount.CacheDirectory))));
        Assert.Equal(1, counters.Get(mount.Fs, "octue.mount.vfs.refused_uploads"));
        Assert.Empty(StagedData(mount.CacheDirectory));
        var uploads = Uploads;
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.Equal(uploads, Uploads);
        Assert.Equal(generation, _fixture.Emulator.Store.TryGetObject(bucket, "doc.txt", out var obj) ? obj.Generation : 0);
        Assert.Equal("saved", Encoding.UTF8.GetString(obj.Data));
    }

    [Fact]
    public async Task A_new_file_in_a_bucket_that_no_longer_exists_goes_to_conflicts_with_its_bytes()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "orphan.txt", 0b110_100_100, OpenFlags.Write);
        await mount.Fs.WriteAsync(created.Value.Handle, 0, "written after the bucket went"u8.ToArray());
        using (var http = new HttpClient())
        {
            (await http.DeleteAsync(new Uri(_fixture.Emulator.Endpoint, $"storage/v1/b/{bucket}"))).EnsureSuccessStatusCode();
        }

        Assert.Equal(VfsError.IoError, await mount.Fs.ReleaseAsync(created.Value.Handle));

        Assert.Equal("written after the bucket went", File.ReadAllText(Assert.Single(Kept(mount.CacheDirectory))));
        Assert.Empty(StagedData(mount.CacheDirectory));
    }

    [Fact]
    public async Task A_copy_left_by_a_crash_that_GCS_refuses_goes_to_conflicts_and_is_not_retried()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "left.txt", 0b110_100_100, OpenFlags.Write);
        await mount.Fs.WriteAsync(created.Value.Handle, 0, "left by a crash"u8.ToArray());
        RefuseUploads(bucket, 400);
        using var counters = new FileSystemCounters();

        var fs = await mount.RestartAsync(_fixture, $"gs://{bucket}");

        Assert.Equal(1, counters.Get(fs, "octue.mount.vfs.recovered/refused"));
        Assert.Equal("left by a crash", File.ReadAllText(Assert.Single(Kept(mount.CacheDirectory))));
        Assert.Empty(StagedData(mount.CacheDirectory));
        _fixture.Emulator.Faults.Clear();
        var uploads = Uploads;
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.Equal(uploads, Uploads);
        Assert.False(_fixture.Exists(bucket, "left.txt"));
    }

    [Fact]
    public async Task A_huge_truncation_whose_upload_is_refused_is_kept_once_not_sent_again_at_every_start()
    {
        const long huge = 1L << 30;
        var bucket = _fixture.NewBucket();
        var generation = _fixture.Put(bucket, "sparse.bin", "small");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("sparse.bin");
        RefuseUploads(bucket, 400);
        var uploads = Uploads;

        // truncate -s 1G: staged (sparse), extended, uploaded at once, refused.
        Assert.Equal(VfsError.IoError, (await mount.Fs.SetAttributesAsync(file.NodeId, null, new SetAttributes { Size = huge })).Error);

        Assert.Equal(huge, new FileInfo(Assert.Single(Kept(mount.CacheDirectory))).Length);
        Assert.Empty(StagedData(mount.CacheDirectory));
        _fixture.Emulator.Faults.Clear();
        var attempted = Uploads - uploads;
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.Equal(uploads + attempted, Uploads);
        Assert.Equal(generation, _fixture.Emulator.Store.TryGetObject(bucket, "sparse.bin", out var obj) ? obj.Generation : 0);
    }

    [Fact]
    public async Task A_failure_that_may_pass_keeps_the_copy_staged_and_the_next_start_uploads_it()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "later.txt", 0b110_100_100, OpenFlags.Write);
        await mount.Fs.WriteAsync(created.Value.Handle, 0, "uploaded later"u8.ToArray());
        RefuseUploads(bucket, 503);

        Assert.Equal(VfsError.TryAgain, await mount.Fs.ReleaseAsync(created.Value.Handle));
        Assert.Single(StagedData(mount.CacheDirectory));
        Assert.Empty(Kept(mount.CacheDirectory));

        _fixture.Emulator.Faults.Clear();
        await mount.RestartAsync(_fixture, $"gs://{bucket}");
        Assert.Equal("uploaded later", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "later.txt")));
        Assert.Empty(StagedData(mount.CacheDirectory));
    }

    [Fact]
    public async Task An_upload_whose_reply_was_lost_is_not_taken_for_a_lost_race()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "echo.txt", "v1");
        var store = new LostReplyStore(_fixture.Store);
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", store: store);
        var file = await mount.LookupPathAsync("echo.txt");
        var handle = (await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Write | OpenFlags.Truncate)).Value;
        await mount.Fs.WriteAsync(handle, 0, "v2 arrived"u8.ToArray());

        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(handle));

        Assert.Equal(1, store.LostReplies);
        Assert.Equal("v2 arrived", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "echo.txt")));
        Assert.Empty(Kept(mount.CacheDirectory));
        Assert.Empty(StagedData(mount.CacheDirectory));
    }

    /// <summary>
    /// The first upload reaches GCS, but its reply is lost and the retried request fails its precondition (412),
    /// as happens when a connection breaks after the server stored the object.
    /// </summary>
    private sealed class LostReplyStore(IObjectStore inner) : DelegatingObjectStore(inner)
    {
        private int _lost;

        public int LostReplies => Volatile.Read(ref _lost);

        public override async Task<ObjectInfo> UploadAsync(string bucket, string name, Stream content, UploadOptions? options = null,
            CancellationToken cancellationToken = default)
        {
            var stored = await Inner.UploadAsync(bucket, name, content, options, cancellationToken);
            if (Interlocked.Increment(ref _lost) == 1)
            {
                throw new PreconditionFailedException($"upload gs://{bucket}/{name}: precondition failed (the retry of a request that succeeded).");
            }

            return stored;
        }
    }
}
