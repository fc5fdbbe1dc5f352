using System.Text;
using System.Text.Json.Nodes;
using Octue.Mount.Emulator;
using global::Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Octue;

[Collection(EmulatorCollection.Name)]
public sealed class DatafileCloudTests(OctueFixture fixture)
{
    [Fact]
    public async Task Round_trip_keeps_id_tags_labels_timestamp_and_bytes()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        var local = temp.File("data.csv", "a,b\n1,2\n");
        var timestamp = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(2)).AddTicks(1234560);
        var datafile = new Datafile(local)
        {
            Timestamp = timestamp,
            Tags = { ["count"] = 1, ["ratio"] = 1.0, ["nested"] = new JsonObject { ["a"] = new JsonArray(1, 2.5) }, ["place"] = "Zürich 風 😀" },
            Labels = { "met-mast", "wind" },
        };

        var uri = await datafile.ToCloudAsync("project", bucket, "path/to/data.csv", fixture.Options());

        Assert.Equal($"gs://{bucket}/path/to/data.csv", uri);
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "path/to/data.csv", out var stored));
        Assert.Equal($"\"{datafile.Id}\"", stored.Metadata["octue__id"]);
        Assert.Equal("{\"_type\": \"datetime\", \"value\": \"2024-05-06T05:08:09.123456+00:00\"}", stored.Metadata["octue__timestamp"]);
        Assert.Equal("{\"count\": 1, \"ratio\": 1.0, \"nested\": {\"a\": [1, 2.5]}, \"place\": \"Z\\u00fcrich \\u98a8 \\ud83d\\ude00\"}", stored.Metadata["octue__tags"]);
        Assert.Equal("{\"_type\": \"set\", \"items\": [\"met-mast\", \"wind\"]}", stored.Metadata["octue__labels"]);
        Assert.True(stored.Metadata.ContainsKey("octue__sdk_version"));

        var back = await Datafile.FromCloudAsync("project", bucket, "path/to/data.csv", fixture.Options());
        Assert.Equal(datafile.Id, back.Id);
        Assert.Equal(timestamp, back.Timestamp);
        Assert.Equal(datafile.Tags, back.Tags);
        Assert.Equal(datafile.Labels, back.Labels);
        Assert.Equal("data.csv", back.Name);
        Assert.True(PythonJson.IsInteger((JsonValue)back.Tags["count"]!));
        Assert.False(PythonJson.IsInteger((JsonValue)back.Tags["ratio"]!));
        Assert.Equal("Zürich 風 😀", back.Tags["place"]!.GetValue<string>());

        var downloaded = await back.DownloadAsync(Path.Combine(temp.Path, "out", "copy.csv"), fixture.Options());
        Assert.Equal("a,b\n1,2\n", await File.ReadAllTextAsync(downloaded));
    }

    [Fact]
    public async Task Spec_new_format_object_reads_back_to_the_stated_values()
    {
        var bucket = fixture.NewBucket();
        fixture.Emulator.Store.PutObject(bucket, "file.json", Encoding.ASCII.GetBytes("[1, 2, 3]"), SpecExamples.NewDatafileMetadata);

        var datafile = await Datafile.FromCloudAsync($"gs://{bucket}/file.json", fixture.Options());

        Assert.Equal(SpecExamples.DatafileId, datafile.Id);
        Assert.Equal(SpecExamples.DatafileTimestamp, datafile.Timestamp);
        Assert.Equal(TagDict.Parse("{\"manufacturer\": \"Vestas\", \"height\": 110.5, \"is_cleaned\": true, \"nested\": {\"a\": [1, 2]}}"), datafile.Tags);
        Assert.Equal(new[] { "met-mast", "wind" }, datafile.Labels);
        Assert.Equal("6NMauw==", datafile.HashValue);
        Assert.Equal("0.69.0", datafile.SdkVersion);
    }

    [Fact]
    public async Task Spec_old_format_object_reads_back_to_the_stated_values()
    {
        var bucket = fixture.NewBucket();
        fixture.Emulator.Store.PutObject(bucket, "file.json", Encoding.ASCII.GetBytes("[4, 5, 6]"), SpecExamples.OldDatafileMetadata);

        var datafile = await Datafile.FromCloudAsync($"https://storage.googleapis.com/{bucket}/file.json?alt=media", fixture.Options());

        Assert.Equal(SpecExamples.DatafileId, datafile.Id);
        Assert.Equal(SpecExamples.DatafileTimestamp, datafile.Timestamp);
        Assert.Empty(datafile.Tags);
        Assert.Equal(new[] { "blah:shah:nah", "hello" }, datafile.Labels);
        Assert.Equal("dawSHg==", datafile.HashValue);
        Assert.Equal(SpecExamples.OldDatafileMetadata["hash_value"], datafile.OtherMetadata["hash_value"]);
    }

    [Fact]
    public async Task An_object_without_metadata_is_a_datafile()
    {
        var bucket = fixture.NewBucket();
        fixture.Emulator.Store.PutObject(bucket, "plain.txt", Encoding.ASCII.GetBytes("This is a test upload."));
        var datafile = await Datafile.FromCloudAsync($"gs://{bucket}/plain.txt", fixture.Options());
        Assert.Null(datafile.Id);
        Assert.Empty(datafile.Tags);
        Assert.Equal("1mmhsg==", datafile.HashValue);
    }

    [Fact]
    public async Task Metadata_updates_keep_foreign_keys()
    {
        var bucket = fixture.NewBucket();
        fixture.Emulator.Store.PutObject(bucket, "f.bin", [1, 2, 3], new Dictionary<string, string>(SpecExamples.NewDatafileMetadata)
        {
            ["goog-reserved-file-mtime"] = "1615232361",
        });
        var datafile = await Datafile.FromCloudAsync($"gs://{bucket}/f.bin", fixture.Options());
        datafile.Tags["height"] = 120;
        await datafile.UpdateCloudMetadataAsync(fixture.Options());

        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "f.bin", out var stored));
        Assert.Equal("1615232361", stored.Metadata["goog-reserved-file-mtime"]);
        Assert.Contains("\"height\": 120,", stored.Metadata["octue__tags"]);

        // Copying to a new place carries the foreign keys the datafile holds.
        var copyUri = await datafile.ToCloudAsync($"gs://{bucket}/copy/f.bin", fixture.Options());
        Assert.Equal($"gs://{bucket}/copy/f.bin", copyUri);
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "copy/f.bin", out var copy));
        Assert.Equal("1615232361", copy.Metadata["goog-reserved-file-mtime"]);
        Assert.Equal(stored.Metadata["octue__tags"], copy.Metadata["octue__tags"]);
        Assert.Equal(stored.Crc32c, copy.Crc32c);
    }

    [Fact]
    public async Task Invalid_metadata_is_refused_before_anything_is_written()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        var local = temp.File("f.txt", "x");

        var oversized = new Datafile(local) { Tags = { ["blob"] = new string('x', 8200) } };
        var error = await Assert.ThrowsAsync<OctueFormatException>(() => oversized.ToCloudAsync("p", bucket, "f.txt", fixture.Options()));
        Assert.Contains("8 KiB", error.Message);

        Assert.Throws<OctueFormatException>(() => new Datafile(local).Tags["Bad-Name"] = 1);
        Assert.Throws<OctueFormatException>(() => new Datafile(local).Labels.Add("Bad_Label"));

        Assert.Empty(fixture.Emulator.Store.ListObjectNames(bucket));
    }

    [Fact]
    public async Task Corruption_on_upload_is_refused_by_the_server()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        var local = temp.File("f.txt", "some bytes that must arrive intact");
        var corrupting = new CorruptingUploadStore(fixture.Store);

        await Assert.ThrowsAsync<CorruptionException>(() =>
            new Datafile(local).ToCloudAsync($"gs://{bucket}/f.txt", new TransferOptions { Store = corrupting }));

        Assert.True(corrupting.CorruptedUploads >= 1);
        Assert.False(fixture.Emulator.Store.TryGetObject(bucket, "f.txt", out _));
    }

    [Fact]
    public async Task A_stored_object_whose_hashes_differ_from_the_local_bytes_is_deleted()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        var local = temp.File("f.txt", "bytes");

        await Assert.ThrowsAsync<CorruptionException>(() =>
            new Datafile(local).ToCloudAsync($"gs://{bucket}/f.txt", new TransferOptions { Store = new MisreportingUploadStore(fixture.Store) }));

        Assert.False(fixture.Emulator.Store.TryGetObject(bucket, "f.txt", out _));
    }

    [Fact]
    public async Task Corruption_on_download_is_caught_and_nothing_corrupt_is_left()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        var content = Encoding.ASCII.GetBytes(new string('z', 10_000));
        fixture.Emulator.Store.PutObject(bucket, "f.txt", content, SpecExamples.NewDatafileMetadata);
        var datafile = await Datafile.FromCloudAsync($"gs://{bucket}/f.txt", fixture.Options());
        var target = Path.Combine(temp.Path, "f.txt");
        var existing = Path.Combine(temp.Path, "existing.txt");
        await File.WriteAllTextAsync(existing, "old content");

        fixture.Emulator.Faults.Add(new FaultRule { Kind = FaultKind.CorruptMedia, Bucket = bucket, ObjectName = "f.txt", AfterBytes = 5000, Times = 100 });
        try
        {
            await Assert.ThrowsAsync<CorruptionException>(() => datafile.DownloadAsync(target, fixture.Options()));
            await Assert.ThrowsAsync<CorruptionException>(() => datafile.DownloadAsync(existing, fixture.Options()));
        }
        finally
        {
            fixture.Emulator.Faults.Clear();
        }

        Assert.False(File.Exists(target));
        Assert.Equal("old content", await File.ReadAllTextAsync(existing));
        Assert.Equal(new[] { "existing.txt" }, Directory.GetFiles(temp.Path).Select(Path.GetFileName));

        // Once the fault is gone the same download succeeds.
        await datafile.DownloadAsync(target, fixture.Options());
        Assert.Equal(content, await File.ReadAllBytesAsync(target));
    }

    [Fact]
    public async Task Truncated_download_is_resumed_from_the_last_byte_received()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        var content = Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray();
        fixture.Emulator.Store.PutObject(bucket, "f.txt", content);
        var datafile = await Datafile.FromCloudAsync($"gs://{bucket}/f.txt", fixture.Options());
        var target = Path.Combine(temp.Path, "f.txt");
        // Every response stops after 1000 bytes. Starting again from byte 0 could never finish; resuming where the
        // last response stopped finishes in five responses (1000, 1000, 1000, 1000, 96 bytes).
        fixture.Emulator.Faults.Add(new FaultRule { Kind = FaultKind.TruncateMedia, Bucket = bucket, ObjectName = "f.txt", AfterBytes = 1000, Times = 1000 });
        var downloadsBefore = fixture.Emulator.Requests.Count(RequestKind.Download);
        try
        {
            await datafile.DownloadAsync(target, fixture.Options());
        }
        finally
        {
            fixture.Emulator.Faults.Clear();
        }
        Assert.Equal(5, fixture.Emulator.Requests.Count(RequestKind.Download) - downloadsBefore);
        Assert.Equal(content, await File.ReadAllBytesAsync(target));
        Assert.Equal(new[] { target }, Directory.GetFiles(temp.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Download_that_never_progresses_is_refused_and_leaves_no_file()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        fixture.Emulator.Store.PutObject(bucket, "f.txt", Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray());
        var datafile = await Datafile.FromCloudAsync($"gs://{bucket}/f.txt", fixture.Options());
        var target = Path.Combine(temp.Path, "f.txt");
        // Every response ends before its first byte: retries run out without a byte received.
        fixture.Emulator.Faults.Add(new FaultRule { Kind = FaultKind.TruncateMedia, Bucket = bucket, ObjectName = "f.txt", AfterBytes = 0, Times = 1000 });
        try
        {
            var error = await Assert.ThrowsAsync<TransientStoreException>(() => datafile.DownloadAsync(target, fixture.Options()));
            Assert.Contains($"gs://{bucket}/f.txt", error.Message);
        }
        finally
        {
            fixture.Emulator.Faults.Clear();
        }
        Assert.Empty(Directory.GetFiles(temp.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Missing_objects_give_a_clear_error()
    {
        var bucket = fixture.NewBucket();
        var error = await Assert.ThrowsAsync<ObjectNotFoundException>(() => Datafile.FromCloudAsync($"gs://{bucket}/nope", fixture.Options()));
        Assert.Contains($"gs://{bucket}/nope", error.Message);
    }
}
