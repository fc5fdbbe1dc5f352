using System.Text;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Octue.Mount.Storage;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

public sealed class ConflictAndRecoveryTests : IClassFixture<VfsFixture>
{
    private readonly VfsFixture _fixture;

    public ConflictAndRecoveryTests(VfsFixture fixture) => _fixture = fixture;

    private static string[] ConflictFiles(string cacheDirectory)
    {
        var folder = Path.Combine(cacheDirectory, "conflicts");
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(p => !p.EndsWith(".json")).ToArray()
            : [];
    }

    [Fact]
    public async Task Two_writers_racing_one_wins_the_other_gets_stale_and_its_bytes_are_kept()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "shared.txt", "original");
        await using var first = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        await using var second = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");

        var a = await first.LookupPathAsync("shared.txt");
        var b = await second.LookupPathAsync("shared.txt");
        var ha = await first.Fs.OpenAsync(a.NodeId, OpenFlags.Write | OpenFlags.Truncate);
        var hb = await second.Fs.OpenAsync(b.NodeId, OpenFlags.Write | OpenFlags.Truncate);
        await first.Fs.WriteAsync(ha.Value, 0, "writer A wins"u8.ToArray());
        await second.Fs.WriteAsync(hb.Value, 0, "writer B loses"u8.ToArray());

        Assert.Equal(VfsError.None, await first.Fs.ReleaseAsync(ha.Value));
        Assert.Equal(VfsError.Stale, await second.Fs.FlushAsync(hb.Value));
        Assert.Equal(VfsError.Stale, (await second.Fs.WriteAsync(hb.Value, 0, "more"u8.ToArray())).Error);
        await second.Fs.ReleaseAsync(hb.Value);

        Assert.Equal("writer A wins", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "shared.txt")));
        var kept = Assert.Single(ConflictFiles(second.CacheDirectory));
        Assert.Equal("writer B loses", File.ReadAllText(kept));
        Assert.StartsWith(Path.Combine(second.CacheDirectory, "conflicts"), kept);
        Assert.Contains("shared.txt", Path.GetFileName(kept));
    }

    [Fact]
    public async Task A_writer_whose_object_was_replaced_before_its_first_write_gets_stale()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "edited.txt", "original content");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("edited.txt");
        var handle = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.ReadWrite);
        Assert.True(handle.IsOk);

        _fixture.Put(bucket, "edited.txt", "replaced by another machine");
        // A partial overwrite needs the opened generation's bytes, which no longer exist.
        Assert.Equal(VfsError.Stale, (await mount.Fs.WriteAsync(handle.Value, 0, "X"u8.ToArray())).Error);
        await mount.Fs.ReleaseAsync(handle.Value);
        Assert.Equal("replaced by another machine", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "edited.txt")));
    }

    [Fact]
    public async Task Counters_report_requests_bytes_and_conflicts()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "counted.txt", "v1");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var meter = mount.Fs.Metrics.Meter;
        using var conflicts = new MetricCollector<long>(meter, "octue.mount.vfs.conflicts");
        using var written = new MetricCollector<long>(meter, "octue.mount.vfs.written_bytes");
        using var requests = new MetricCollector<long>(meter, "octue.mount.store.requests");
        long RequestsOf(string kind) => requests.GetMeasurementSnapshot().Where(m => Equals(m.Tags["kind"], kind)).Sum(m => m.Value);

        var file = await mount.LookupPathAsync("counted.txt");
        var handle = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Write | OpenFlags.Truncate);
        await mount.Fs.WriteAsync(handle.Value, 0, "12345"u8.ToArray());
        _fixture.Put(bucket, "counted.txt", "changed remotely");
        Assert.Equal(VfsError.Stale, await mount.Fs.ReleaseAsync(handle.Value));

        Assert.Equal(1, conflicts.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(5, written.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(1, RequestsOf("upload"));
        Assert.True(RequestsOf("stat") >= 1);
    }

    [Fact]
    public async Task Two_handles_creating_the_same_new_file_one_gets_stale()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        await using var other = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var one = await mount.Fs.CreateAsync(IFileSystem.RootId, "new.txt", 0b110_100_100, OpenFlags.Write);
        var two = await other.Fs.CreateAsync(IFileSystem.RootId, "new.txt", 0b110_100_100, OpenFlags.Write);
        await mount.Fs.WriteAsync(one.Value.Handle, 0, "one"u8.ToArray());
        await other.Fs.WriteAsync(two.Value.Handle, 0, "two"u8.ToArray());
        Assert.Equal(VfsError.None, await other.Fs.ReleaseAsync(two.Value.Handle));
        Assert.Equal(VfsError.Stale, await mount.Fs.ReleaseAsync(one.Value.Handle));
        Assert.Equal("two", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "new.txt")));
        Assert.Equal("one", File.ReadAllText(Assert.Single(ConflictFiles(mount.CacheDirectory))));
    }

    [Fact]
    public async Task A_staged_file_left_by_a_crash_is_uploaded_at_the_next_start()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "edited.txt", "before");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "crashed-new.txt", 0b110_100_100, OpenFlags.Write);
        await mount.Fs.WriteAsync(created.Value.Handle, 0, "unsaved new file"u8.ToArray());
        var edited = await mount.LookupPathAsync("edited.txt");
        var handle = await mount.Fs.OpenAsync(edited.NodeId, OpenFlags.ReadWrite);
        await mount.Fs.WriteAsync(handle.Value, 6, " and after"u8.ToArray());

        // The process dies: no flush, no release.
        await mount.RestartAsync(_fixture, $"gs://{bucket}");

        Assert.Equal("unsaved new file", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "crashed-new.txt")));
        Assert.Equal("before and after", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "edited.txt")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(mount.CacheDirectory, "staging"), "*.data"));
        Assert.Empty(ConflictFiles(mount.CacheDirectory));
    }

    [Fact]
    public async Task Chmod_utimes_and_xattrs_set_while_a_file_is_dirty_survive_a_crash()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "edited.txt", "before");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");

        // An existing file, written and then given a mode, a time and a tag before any upload.
        var edited = await mount.LookupPathAsync("edited.txt");
        var handle = await mount.Fs.OpenAsync(edited.NodeId, OpenFlags.ReadWrite);
        await mount.Fs.WriteAsync(handle.Value, 6, " and after"u8.ToArray());
        Assert.True((await mount.Fs.SetAttributesAsync(edited.NodeId, handle.Value, new SetAttributes { Mode = 0b110_000_000, ModifiedNs = 1_600_000_000L * 1_000_000_000 })).IsOk);
        Assert.Equal(VfsError.None, await mount.Fs.SetXattrAsync(edited.NodeId, "user.octue.tags.site", "\"north\""u8.ToArray(), XattrFlags.None));

        // A new file, created with a mode and tagged before its first upload.
        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "new.txt", 0b110_000_000, OpenFlags.Write);
        await mount.Fs.WriteAsync(created.Value.Handle, 0, "new bytes"u8.ToArray());
        Assert.Equal(VfsError.None, await mount.Fs.SetXattrAsync(created.Value.Attributes.NodeId, "user.gcs.meta.origin", "lab"u8.ToArray(), XattrFlags.None));

        // The process dies: no flush, no release.
        await mount.RestartAsync(_fixture, $"gs://{bucket}");

        Assert.Equal("before and after", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "edited.txt")));
        var metadata = _fixture.Metadata(bucket, "edited.txt");
        Assert.Equal("600", metadata["goog-reserved-posix-mode"]);
        Assert.Equal("1600000000", metadata["goog-reserved-file-mtime"]);
        Assert.Equal("{\"site\": \"north\"}", metadata["octue__tags"]);

        Assert.Equal("new bytes", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "new.txt")));
        var createdMetadata = _fixture.Metadata(bucket, "new.txt");
        Assert.Equal("600", createdMetadata["goog-reserved-posix-mode"]);
        Assert.Equal("lab", createdMetadata["origin"]);
        Assert.Empty(ConflictFiles(mount.CacheDirectory));
    }

    [Fact]
    public async Task A_metadata_change_made_elsewhere_after_a_crash_is_merged_by_the_recovery_not_overwritten()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "tagged.txt", "v1", new Dictionary<string, string> { ["octue__tags"] = "{\"a\": 1}", ["keep"] = "yes" });
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("tagged.txt");
        var handle = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Write | OpenFlags.Truncate);
        await mount.Fs.WriteAsync(handle.Value, 0, "v2"u8.ToArray());
        Assert.True((await mount.Fs.SetAttributesAsync(file.NodeId, handle.Value, new SetAttributes { Mode = 0b110_000_000 })).IsOk);

        // The process dies; while it is down another client changes the object's metadata (not its bytes).
        await mount.Fs.DisposeAsync();
        await _fixture.Store.PatchMetadataAsync(bucket, "tagged.txt", new MetadataPatch
        {
            Metadata = new Dictionary<string, string?> { ["octue__tags"] = "{\"a\": 2}", ["keep"] = null, ["added"] = "elsewhere" },
        });

        await mount.RestartAsync(_fixture, $"gs://{bucket}");

        Assert.Equal("v2", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "tagged.txt")));
        var metadata = _fixture.Metadata(bucket, "tagged.txt");
        Assert.Equal("{\"a\": 2}", metadata["octue__tags"]);
        Assert.Equal("elsewhere", metadata["added"]);
        Assert.False(metadata.ContainsKey("keep"));
        Assert.Equal("600", metadata["goog-reserved-posix-mode"]);
        Assert.Empty(ConflictFiles(mount.CacheDirectory));
    }

    [Fact]
    public async Task A_staged_file_whose_object_changed_meanwhile_is_kept_in_conflicts_at_the_next_start()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "busy.txt", "v1");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("busy.txt");
        var handle = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Write | OpenFlags.Truncate);
        await mount.Fs.WriteAsync(handle.Value, 0, "local v2"u8.ToArray());
        await mount.Fs.DisposeAsync();
        _fixture.Put(bucket, "busy.txt", "remote v2");

        await mount.RestartAsync(_fixture, $"gs://{bucket}");

        Assert.Equal("remote v2", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "busy.txt")));
        Assert.Equal("local v2", File.ReadAllText(Assert.Single(ConflictFiles(mount.CacheDirectory))));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(mount.CacheDirectory, "staging"), "*.data"));
    }

    [Fact]
    public async Task A_metadata_change_made_elsewhere_while_a_file_is_written_is_not_lost()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "tagged.txt", "v1", new Dictionary<string, string> { ["octue__tags"] = "{\"a\": 1}", ["keep"] = "yes" });
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("tagged.txt");
        var handle = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Write | OpenFlags.Truncate);
        await mount.Fs.WriteAsync(handle.Value, 0, "v2"u8.ToArray());
        await mount.Fs.SetAttributesAsync(file.NodeId, handle.Value, new SetAttributes { Mode = 0b110_000_000 });
        await _fixture.Store.PatchMetadataAsync(bucket, "tagged.txt", new global::Octue.Mount.Storage.MetadataPatch
        {
            Metadata = new Dictionary<string, string?> { ["octue__tags"] = "{\"a\": 2}", ["keep"] = null, ["added"] = "elsewhere" },
        });

        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(handle.Value));

        Assert.Equal("v2", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "tagged.txt")));
        var metadata = _fixture.Metadata(bucket, "tagged.txt");
        Assert.Equal("{\"a\": 2}", metadata["octue__tags"]);
        Assert.Equal("elsewhere", metadata["added"]);
        Assert.False(metadata.ContainsKey("keep"));
        Assert.Equal("600", metadata["goog-reserved-posix-mode"]);
    }

    [Fact]
    public async Task A_metadata_patch_landing_between_the_merge_and_the_upload_is_merged_not_overwritten()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "raced.txt", "v1", new Dictionary<string, string> { ["octue__tags"] = "{\"a\": 1}", ["keep"] = "yes" });
        using var otherClient = GcsObjectStore.Create(new ObjectStoreOptions { EmulatorHost = _fixture.Emulator.HostAndPort });
        var store = new MetadataChangingStore(_fixture.Store, otherClient, times: 1);
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", store: store);
        var file = await mount.LookupPathAsync("raced.txt");
        var handle = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Write | OpenFlags.Truncate);
        await mount.Fs.WriteAsync(handle.Value, 0, "v2"u8.ToArray());
        Assert.True((await mount.Fs.SetAttributesAsync(file.NodeId, handle.Value, new SetAttributes { Mode = 0b110_000_000 })).IsOk);

        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(handle.Value));

        Assert.Equal(1, store.Patches);
        Assert.Equal(2, store.Uploads);
        Assert.Equal("v2", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "raced.txt")));
        var metadata = _fixture.Metadata(bucket, "raced.txt");
        Assert.Equal("{\"patch\": 1}", metadata["octue__tags"]);
        Assert.Equal("elsewhere", metadata["added"]);
        Assert.False(metadata.ContainsKey("keep"));
        Assert.Equal("600", metadata["goog-reserved-posix-mode"]);
        Assert.Empty(ConflictFiles(mount.CacheDirectory));
    }

    [Fact]
    public async Task Metadata_that_keeps_changing_during_every_upload_gives_stale_and_keeps_the_bytes()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "busy-tags.txt", "v1", new Dictionary<string, string> { ["keep"] = "yes" });
        using var otherClient = GcsObjectStore.Create(new ObjectStoreOptions { EmulatorHost = _fixture.Emulator.HostAndPort });
        var store = new MetadataChangingStore(_fixture.Store, otherClient, times: int.MaxValue);
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", store: store);
        var file = await mount.LookupPathAsync("busy-tags.txt");
        var handle = await mount.Fs.OpenAsync(file.NodeId, OpenFlags.Write | OpenFlags.Truncate);
        await mount.Fs.WriteAsync(handle.Value, 0, "mine"u8.ToArray());

        Assert.Equal(VfsError.Stale, await mount.Fs.ReleaseAsync(handle.Value));

        // A few merges were tried, each beaten by a newer change; nothing of the other client's was overwritten.
        Assert.True(store.Uploads > 1, $"{store.Uploads} upload attempts");
        Assert.Equal("v1", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "busy-tags.txt")));
        Assert.Equal($"{{\"patch\": {store.Patches}}}", _fixture.Metadata(bucket, "busy-tags.txt")["octue__tags"]);
        Assert.Equal("mine", File.ReadAllText(Assert.Single(ConflictFiles(mount.CacheDirectory))));
    }

    [Fact]
    public async Task A_staged_file_that_was_uploaded_just_before_a_crash_is_not_a_conflict()
    {
        var bucket = _fixture.NewBucket();
        var generation = _fixture.Put(bucket, "done.txt", "already there");
        var cache = Directory.CreateTempSubdirectory("octue-vfs-test-").FullName;
        var staging = Directory.CreateDirectory(Path.Combine(cache, "staging")).FullName;
        File.WriteAllText(Path.Combine(staging, "abcdefabcdefabcdefabcdefabcdefab.json"),
            $$$"""{"Bucket": "{{{bucket}}}", "ObjectName": "done.txt", "BaseGeneration": {{{generation - 1}}}, "Metadata": {}, "Clean": false}""");
        File.WriteAllText(Path.Combine(staging, "abcdefabcdefabcdefabcdefabcdefab.data"), "already there");

        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", cacheDirectory: cache);

        Assert.Equal(generation, _fixture.Emulator.Store.TryGetObject(bucket, "done.txt", out var obj) ? obj.Generation : 0);
        Assert.Empty(ConflictFiles(cache));
        Assert.Empty(Directory.EnumerateFiles(staging, "*.data"));
    }

    [Fact]
    public async Task A_second_mount_sharing_the_cache_folder_leaves_the_first_ones_open_files_alone()
    {
        var bucket = _fixture.NewBucket();
        await using var first = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var created = await first.Fs.CreateAsync(IFileSystem.RootId, "in-progress.txt", 0b110_100_100, OpenFlags.Write);
        await first.Fs.WriteAsync(created.Value.Handle, 0, "not finished"u8.ToArray());

        await using (var second = await OctueFileSystem.CreateAsync(new FileSystemOptions
        {
            Source = MountSource.Parse($"gs://{bucket}", null),
            CacheDirectory = first.CacheDirectory,
        }, _fixture.Store))
        {
            Assert.False(_fixture.Exists(bucket, "in-progress.txt"));
        }

        await first.Fs.WriteAsync(created.Value.Handle, 12, ", now finished"u8.ToArray());
        Assert.Equal(VfsError.None, await first.Fs.ReleaseAsync(created.Value.Handle));
        Assert.Equal("not finished, now finished", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "in-progress.txt")));
        Assert.Empty(ConflictFiles(first.CacheDirectory));
    }

    [Fact]
    public async Task A_staged_file_written_by_a_crashed_process_is_recovered()
    {
        // What a process that died mid-write leaves: a sidecar and a data file, nothing else.
        var bucket = _fixture.NewBucket();
        var cache = Directory.CreateTempSubdirectory("octue-vfs-test-").FullName;
        var staging = Directory.CreateDirectory(Path.Combine(cache, "staging")).FullName;
        File.WriteAllText(Path.Combine(staging, "0123456789abcdef0123456789abcdef.json"),
            $$"""{"Bucket": "{{bucket}}", "ObjectName": "from/crash.txt", "BaseGeneration": 0, "Metadata": {"goog-reserved-file-mtime": "1600000000"}, "Clean": false}""");
        File.WriteAllText(Path.Combine(staging, "0123456789abcdef0123456789abcdef.data"), "recovered bytes");

        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", cacheDirectory: cache);

        Assert.Equal("recovered bytes", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "from/crash.txt")));
        Assert.Equal("1600000000", _fixture.Metadata(bucket, "from/crash.txt")["goog-reserved-file-mtime"]);
        Assert.Empty(Directory.EnumerateFiles(staging, "*.data"));
    }

    [Fact]
    public async Task A_copy_uploaded_while_still_open_keeps_no_sidecar_and_a_change_after_it_is_recorded_again()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var staging = Path.Combine(mount.CacheDirectory, "staging");
        var saved = await mount.Fs.CreateAsync(IFileSystem.RootId, "saved.txt", 0b110_100_100, OpenFlags.Write);
        await mount.Fs.WriteAsync(saved.Value.Handle, 0, "saved"u8.ToArray());
        var changed = await mount.Fs.CreateAsync(IFileSystem.RootId, "changed.txt", 0b110_100_100, OpenFlags.Write);
        await mount.Fs.WriteAsync(changed.Value.Handle, 0, "first"u8.ToArray());
        Assert.Equal(VfsError.None, await mount.Fs.FsyncAsync(saved.Value.Handle));
        Assert.Equal(VfsError.None, await mount.Fs.FsyncAsync(changed.Value.Handle));

        // Both copies hold nothing to upload: no sidecar says so (removing one is cheaper than writing a clean one).
        Assert.Equal(2, Directory.EnumerateFiles(staging, "*.data").Count());
        Assert.Empty(Directory.EnumerateFiles(staging, "*.json"));

        // A change after the upload is recorded before its first byte, as the first one was.
        await mount.Fs.WriteAsync(changed.Value.Handle, 5, " and second"u8.ToArray());
        Assert.Single(Directory.EnumerateFiles(staging, "*.json"));

        // The process dies with both still open: the changed copy is uploaded, the saved one is only removed.
        _fixture.Put(bucket, "saved.txt", "replaced elsewhere");
        await mount.RestartAsync(_fixture, $"gs://{bucket}");

        Assert.Equal("first and second", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "changed.txt")));
        Assert.Equal("replaced elsewhere", Encoding.UTF8.GetString(_fixture.Bytes(bucket, "saved.txt")));
        Assert.Empty(Directory.EnumerateFiles(staging));
        Assert.Empty(ConflictFiles(mount.CacheDirectory));
    }
}
