using System.Text;
using System.Text.Json.Nodes;
using Octue.Mount.Emulator;
using global::Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Octue;

[Collection(EmulatorCollection.Name)]
public sealed class DatasetCloudTests(OctueFixture fixture)
{
    private static Dataset LocalDataset(TempFolder temp)
    {
        var root = Path.Combine(temp.Path, "my-dataset");
        temp.File("my-dataset/file_0.txt", "zero");
        temp.File("my-dataset/sub/file_1.txt", "one");
        temp.File("my-dataset/sub/deeper/file_2.txt", "two");
        var dataset = Dataset.FromLocalDirectory(root);
        dataset.Tags["location"] = 108346;
        dataset.Tags["depth"] = 12.0;
        dataset.Tags["site"] = "Île d'Yeu";
        dataset.Labels.Add("offshore");
        foreach (var file in dataset.Files)
        {
            file.Tags["index"] = int.Parse(file.Name[5..6]);
            file.Labels.Add("raw");
        }
        return dataset;
    }

    [Fact]
    public async Task Round_trip_keeps_metadata_and_sub_folders()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        var dataset = LocalDataset(temp);

        var uri = await dataset.ToCloudAsync("project", bucket, "outputs", fixture.Options());

        Assert.Equal($"gs://{bucket}/outputs/my-dataset", uri);
        Assert.Equal(
            new[] { "outputs/my-dataset/.octue", "outputs/my-dataset/file_0.txt", "outputs/my-dataset/sub/deeper/file_2.txt", "outputs/my-dataset/sub/file_1.txt" },
            fixture.Emulator.Store.ListObjectNames(bucket).Order(StringComparer.Ordinal));
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "outputs/my-dataset/.octue", out var octue));
        Assert.Equal(
            $"{{\"dataset\": {{\"id\": \"{dataset.Id}\", \"name\": \"my-dataset\", \"tags\": {{\"location\": 108346, \"depth\": 12.0, \"site\": \"\\u00cele d'Yeu\"}}, \"labels\": [\"offshore\"], \"path\": \"gs://{bucket}/outputs/my-dataset\"}}}}",
            Encoding.UTF8.GetString(octue.Data));

        var back = await Dataset.FromCloudAsync("project", bucket, "outputs/my-dataset", fixture.Options());
        Assert.Equal(dataset.Id, back.Id);
        Assert.Equal("my-dataset", back.Name);
        Assert.Equal(dataset.Tags, back.Tags);
        Assert.Equal(dataset.Labels, back.Labels);
        Assert.Equal(new[] { "file_0.txt", "sub/deeper/file_2.txt", "sub/file_1.txt" }, back.Files.Select(f => f.PathInDataset));
        foreach (var file in back.Files)
        {
            var original = dataset.Files.Single(f => f.PathInDataset == file.PathInDataset);
            Assert.Equal(original.Id, file.Id);
            Assert.Equal(original.Tags, file.Tags);
            Assert.Equal(new[] { "raw" }, file.Labels);
        }

        var local = await back.DownloadAsync(Path.Combine(temp.Path, "downloaded"), fixture.Options());
        Assert.Equal("two", await File.ReadAllTextAsync(Path.Combine(local, "sub", "deeper", "file_2.txt")));
        Assert.Equal("zero", await File.ReadAllTextAsync(Path.Combine(local, "file_0.txt")));

        // The local copy carries the metadata, so uploading it again elsewhere keeps ids and tags.
        var again = Dataset.FromLocalDirectory(local);
        Assert.Equal(dataset.Id, again.Id);
        Assert.Equal(dataset.Tags, again.Tags);
        Assert.Equal(3, again.Files.Count);
        Assert.Equal(dataset.Files.Single(f => f.PathInDataset == "sub/file_1.txt").Tags, again.Files.Single(f => f.PathInDataset == "sub/file_1.txt").Tags);
    }

    [Fact]
    public async Task Round_trip_keeps_nested_tag_values_and_datafile_timestamps()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        var dataset = LocalDataset(temp);
        dataset.Tags["nested"] = new JsonObject { ["levels"] = new JsonArray(1, 1.0, "ü", new JsonObject { ["deep"] = new JsonArray() }), ["none"] = null };
        dataset.Tags["matrix"] = new JsonArray(new JsonArray(1, 2), new JsonArray(3.5, -0.0));
        var withOffset = new DateTimeOffset(2024, 2, 29, 23, 59, 58, TimeSpan.FromHours(2)).AddTicks(1234560);
        var files = dataset.Files.ToDictionary(f => f.PathInDataset!);
        files["file_0.txt"].Timestamp = SpecExamples.DatafileTimestamp;
        files["file_0.txt"].Tags["nested"] = new JsonObject { ["a"] = new JsonArray(1, 2), ["b"] = new JsonObject { ["c"] = "Zoë" } };
        files["sub/file_1.txt"].Timestamp = withOffset;
        files["sub/file_1.txt"].Tags["list"] = new JsonArray(true, false, null, 10, 10.0);
        // sub/deeper/file_2.txt keeps no timestamp: "none" must come back as none, not as a default date.

        var uri = await dataset.ToCloudAsync($"gs://{bucket}/out/my-dataset", fixture.Options());
        var back = await Dataset.FromCloudAsync(uri, fixture.Options());

        Assert.Equal(
            "{\"location\": 108346, \"depth\": 12.0, \"site\": \"\\u00cele d'Yeu\", \"nested\": {\"levels\": [1, 1.0, \"\\u00fc\", {\"deep\": []}], \"none\": null}, \"matrix\": [[1, 2], [3.5, -0.0]]}",
            back.Tags.ToJson());
        var backFiles = back.Files.ToDictionary(f => f.PathInDataset!);
        Assert.Equal("{\"index\": 0, \"nested\": {\"a\": [1, 2], \"b\": {\"c\": \"Zo\\u00eb\"}}}", backFiles["file_0.txt"].Tags.ToJson());
        Assert.Equal("Zoë", backFiles["file_0.txt"].Tags["nested"]!["b"]!["c"]!.GetValue<string>());
        Assert.Equal("{\"index\": 1, \"list\": [true, false, null, 10, 10.0]}", backFiles["sub/file_1.txt"].Tags.ToJson());

        Assert.Equal(SpecExamples.DatafileTimestamp, backFiles["file_0.txt"].Timestamp);
        Assert.Equal(withOffset, backFiles["sub/file_1.txt"].Timestamp);
        Assert.Equal(TimeSpan.Zero, backFiles["sub/file_1.txt"].Timestamp!.Value.Offset);
        Assert.Null(backFiles["sub/deeper/file_2.txt"].Timestamp);

        // The same values survive the local copy written by a download.
        var local = Dataset.FromLocalDirectory(await back.DownloadAsync(Path.Combine(temp.Path, "copy"), fixture.Options()));
        Assert.Equal(back.Tags.ToJson(), local.Tags.ToJson());
        var localFiles = local.Files.ToDictionary(f => f.PathInDataset!);
        Assert.Equal(SpecExamples.DatafileTimestamp, localFiles["file_0.txt"].Timestamp);
        Assert.Equal(withOffset, localFiles["sub/file_1.txt"].Timestamp);
        Assert.Null(localFiles["sub/deeper/file_2.txt"].Timestamp);
        Assert.Equal(backFiles["sub/file_1.txt"].Tags.ToJson(), localFiles["sub/file_1.txt"].Tags.ToJson());
    }

    [Fact]
    public async Task Re_upload_skips_files_whose_crc32c_matches()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        var dataset = LocalDataset(temp);
        await dataset.ToCloudAsync($"gs://{bucket}/ds", fixture.Options());
        var generations = fixture.Emulator.Store.ListObjectNames(bucket).ToDictionary(n => n, n => Generation(bucket, n));

        var progress = new List<TransferProgress>();
        var options = fixture.Options(skipUnchanged: true) with { Progress = new SyncProgress(progress) };
        await Dataset.FromLocalDirectory(Path.Combine(temp.Path, "my-dataset")).ToCloudAsync($"gs://{bucket}/ds", options);

        foreach (var name in generations.Keys.Where(n => !n.EndsWith(".octue")))
            Assert.Equal(generations[name], Generation(bucket, name));
        Assert.Equal(3, progress[^1].FilesSkipped);
        Assert.Equal(3, progress[^1].FilesDone);
    }

    private long Generation(string bucket, string name)
    {
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, name, out var stored));
        return stored.Generation;
    }

    private sealed class SyncProgress(List<TransferProgress> reports) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value)
        {
            lock (reports) reports.Add(value);
        }
    }

    [Fact]
    public async Task Spec_new_format_dataset_reads_back_and_listing_excludes_reserved_names()
    {
        var bucket = fixture.NewBucket();
        var store = fixture.Emulator.Store;
        store.PutObject(bucket, "datasets/my-dataset/.octue", Encoding.UTF8.GetBytes(SpecExamples.NewOctue));
        store.PutObject(bucket, "datasets/my-dataset/file_0.txt", [1, 2, 3], SpecExamples.NewDatafileMetadata);
        store.PutObject(bucket, "datasets/my-dataset/sub/file_1.txt", [4, 5, 6]);
        store.PutObject(bucket, "datasets/my-dataset/sub/", []);
        store.PutObject(bucket, "datasets/my-dataset/.signed_metadata_files/x", [9]);
        store.PutObject(bucket, "datasets/my-dataset/sub/inner.octue", [9]);
        store.PutObject(bucket, "datasets/my-dataset-other/file.txt", [9]);

        var dataset = await Dataset.FromCloudAsync($"gs://{bucket}/datasets/my-dataset", fixture.Options());

        Assert.Equal(SpecExamples.DatasetId, dataset.Id);
        Assert.Equal("my-dataset", dataset.Name);
        Assert.Equal(108346, dataset.Tags["location"]!.GetValue<int>());
        Assert.Equal(new[] { "offshore" }, dataset.Labels);
        Assert.Equal(new[] { "file_0.txt", "sub/file_1.txt" }, dataset.Files.Select(f => f.PathInDataset));
        Assert.Equal(SpecExamples.DatafileId, dataset.Files[0].Id);
    }

    [Fact]
    public async Task Spec_old_format_datasets_read_back_with_their_file_lists()
    {
        var bucket = fixture.NewBucket();
        var store = fixture.Emulator.Store;
        var json = SpecExamples.OldDatasetJson.Replace("gs://my-bucket/", $"gs://{bucket}/");
        store.PutObject(bucket, "outputs/my-dataset/dataset.json", Encoding.UTF8.GetBytes(json));
        store.PutObject(bucket, "outputs/my-dataset/file_0.txt", [1, 2, 3], SpecExamples.OldDatafileMetadata);
        store.PutObject(bucket, "outputs/my-dataset/file_1.txt", [4, 5, 6]);
        store.PutObject(bucket, "outputs/my-dataset/not_listed.txt", [7]);
        store.PutObject(bucket, "outputs/renamed/dataset_metadata.json", Encoding.UTF8.GetBytes("{\"id\": \"x\", \"name\": \"renamed\", \"tags\": \"['x', 'y:z']\"}"));
        store.PutObject(bucket, "outputs/renamed/a.txt", [1]);
        store.PutObject(bucket, "outputs/plain/b.txt", [1]);

        var old = await Dataset.FromCloudAsync("p", bucket, "outputs/my-dataset", fixture.Options());
        Assert.Equal(SpecExamples.DatasetId, old.Id);
        Assert.Equal("my-dataset", old.Name);
        Assert.True(old.HasExplicitFileList);
        Assert.Equal(new[] { "file_0.txt", "file_1.txt" }, old.Files.Select(f => f.PathInDataset));
        Assert.Equal(new[] { "blah:shah:nah", "hello" }, old.Files[0].Labels);

        var renamed = await Dataset.FromCloudAsync("p", bucket, "outputs/renamed", fixture.Options());
        Assert.Equal(new[] { "x", "y:z" }, renamed.Labels);
        Assert.Equal(new[] { "a.txt" }, renamed.Files.Select(f => f.PathInDataset));

        var plain = await Dataset.FromCloudAsync("p", bucket, "outputs/plain", fixture.Options());
        Assert.Equal("plain", plain.Name);
        Assert.Null(plain.Id);
        Assert.Equal(new[] { "b.txt" }, plain.Files.Select(f => f.PathInDataset));
    }

    // Each metadata file names a different dataset, so the one read shows which file won.
    private const string OctueNamingA = "{\"dataset\": {\"id\": \"id-a\", \"name\": \"from-octue\", \"tags\": {\"which\": \"octue\"}, \"labels\": [\"octue\"], \"path\": \"x\"}}";
    private const string DatasetMetadataNamingB = "{\"id\": \"id-b\", \"name\": \"from-dataset-metadata\", \"tags\": \"['b']\"}";

    private static string DatasetJsonNamingC(string bucket) =>
        $"{{\"files\": [\"gs://{bucket}/d/a.txt\"], \"id\": \"id-c\", \"name\": \"from-dataset-json\", \"tags\": \"['c']\"}}";

    [Fact]
    public async Task Octue_file_wins_over_both_old_metadata_files()
    {
        var bucket = fixture.NewBucket();
        var store = fixture.Emulator.Store;
        store.PutObject(bucket, "d/dataset.json", Encoding.UTF8.GetBytes(DatasetJsonNamingC(bucket)));
        store.PutObject(bucket, "d/dataset_metadata.json", Encoding.UTF8.GetBytes(DatasetMetadataNamingB));
        store.PutObject(bucket, "d/.octue", Encoding.UTF8.GetBytes(OctueNamingA));
        store.PutObject(bucket, "d/a.txt", [1]);
        store.PutObject(bucket, "d/b.txt", [2]);

        var dataset = await Dataset.FromCloudAsync($"gs://{bucket}/d", fixture.Options());

        Assert.Equal("id-a", dataset.Id);
        Assert.Equal("from-octue", dataset.Name);
        Assert.Equal("{\"which\": \"octue\"}", dataset.Tags.ToJson());
        Assert.Equal(new[] { "octue" }, dataset.Labels);
        // dataset.json's file list is not used, and no metadata file is a datafile.
        Assert.False(dataset.HasExplicitFileList);
        Assert.Equal(new[] { "a.txt", "b.txt" }, dataset.Files.Select(f => f.PathInDataset));
    }

    [Fact]
    public async Task Dataset_metadata_json_wins_over_dataset_json()
    {
        var bucket = fixture.NewBucket();
        var store = fixture.Emulator.Store;
        store.PutObject(bucket, "d/dataset.json", Encoding.UTF8.GetBytes(DatasetJsonNamingC(bucket)));
        store.PutObject(bucket, "d/dataset_metadata.json", Encoding.UTF8.GetBytes(DatasetMetadataNamingB));
        store.PutObject(bucket, "d/a.txt", [1]);
        store.PutObject(bucket, "d/b.txt", [2]);

        var dataset = await Dataset.FromCloudAsync($"gs://{bucket}/d", fixture.Options());

        Assert.Equal("id-b", dataset.Id);
        Assert.Equal("from-dataset-metadata", dataset.Name);
        Assert.Equal(new[] { "b" }, dataset.Labels);
        Assert.False(dataset.HasExplicitFileList);
        Assert.Equal(new[] { "a.txt", "b.txt" }, dataset.Files.Select(f => f.PathInDataset));

        // Without the newer file, dataset.json is read, file list and all.
        store.DeleteObject(bucket, "d/dataset_metadata.json");
        var older = await Dataset.FromCloudAsync($"gs://{bucket}/d", fixture.Options());
        Assert.Equal("id-c", older.Id);
        Assert.True(older.HasExplicitFileList);
        Assert.Equal(new[] { "a.txt" }, older.Files.Select(f => f.PathInDataset));
    }

    [Fact]
    public async Task Malformed_octue_file_gives_a_clear_error()
    {
        var bucket = fixture.NewBucket();
        fixture.Emulator.Store.PutObject(bucket, "d/.octue", Encoding.UTF8.GetBytes("{\"dataset\": {\"tags\": [1, 2], \"files\": 5}}"));
        var error = await Assert.ThrowsAsync<OctueFormatException>(() => Dataset.FromCloudAsync($"gs://{bucket}/d", fixture.Options()));
        Assert.Contains("files", error.Field);
        Assert.Contains($"gs://{bucket}/d/.octue", error.Field);
    }

    [Fact]
    public async Task Invalid_dataset_metadata_is_refused_before_anything_is_written()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        var dataset = LocalDataset(temp);
        dataset.Files[2].Tags["blob"] = new string('x', 9000);
        await Assert.ThrowsAsync<OctueFormatException>(() => dataset.ToCloudAsync("p", bucket, "out", fixture.Options()));

        var renamed = LocalDataset(temp);
        renamed.Name = "a/b";
        await Assert.ThrowsAsync<OctueFormatException>(() => renamed.ToCloudAsync("p", bucket, "out", fixture.Options()));

        var bad = LocalDataset(temp);
        bad.Add(new Datafile(temp.File("x.octue", "x")));
        await Assert.ThrowsAsync<OctueFormatException>(() => bad.ToCloudAsync("p", bucket, "out", fixture.Options()));

        Assert.Empty(fixture.Emulator.Store.ListObjectNames(bucket));
    }

    [Fact]
    public async Task Corrupt_download_in_a_dataset_fails_and_leaves_no_corrupt_file()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        for (var i = 0; i < 4; i++)
            fixture.Emulator.Store.PutObject(bucket, $"d/f{i}.bin", Enumerable.Repeat((byte)i, 3000).ToArray());
        var dataset = await Dataset.FromCloudAsync($"gs://{bucket}/d", fixture.Options());
        fixture.Emulator.Faults.Add(new FaultRule { Kind = FaultKind.CorruptMedia, Bucket = bucket, ObjectName = "d/f2.bin", AfterBytes = 10, Times = 100 });
        try
        {
            await Assert.ThrowsAnyAsync<CorruptionException>(() => dataset.DownloadAsync(temp.Path, fixture.Options(parallelism: 1)));
        }
        finally
        {
            fixture.Emulator.Faults.Clear();
        }
        Assert.False(File.Exists(Path.Combine(temp.Path, "f2.bin")));
        foreach (var file in Directory.GetFiles(temp.Path, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(file);
            Assert.Matches("^f[0-3]\\.bin$", name);
            Assert.Equal(Enumerable.Repeat((byte)(name[1] - '0'), 3000), await File.ReadAllBytesAsync(file));
        }
    }

    [Fact]
    public async Task Empty_files_and_unicode_names_round_trip()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        temp.File("ds/empty.bin", "");
        temp.File("ds/données/naïve file ü.txt", "é");
        var uri = await Dataset.FromLocalDirectory(Path.Combine(temp.Path, "ds")).ToCloudAsync($"gs://{bucket}/ds", fixture.Options());

        var back = await Dataset.FromCloudAsync(uri, fixture.Options());
        Assert.Equal(new[] { "données/naïve file ü.txt", "empty.bin" }, back.Files.Select(f => f.PathInDataset));
        Assert.Equal("AAAAAA==", back.Files.Single(f => f.Name == "empty.bin").HashValue);
        var local = await back.DownloadAsync(Path.Combine(temp.Path, "copy"), fixture.Options());
        Assert.Equal(0, new FileInfo(Path.Combine(local, "empty.bin")).Length);
        Assert.Equal("é", await File.ReadAllTextAsync(Path.Combine(local, "données", "naïve file ü.txt")));
    }

    [Fact]
    public async Task Dataset_files_are_uploaded_in_parallel_up_to_the_configured_degree()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        for (var i = 0; i < 12; i++) temp.File($"ds/f{i}.txt", $"file {i}");
        var tracking = new ConcurrencyTrackingStore(fixture.Store);
        // Each request waits 150 ms at the server, so uploads overlap whenever the client runs them in parallel.
        fixture.Emulator.Faults.Add(new FaultRule { Kind = FaultKind.Delay, Bucket = bucket, Delay = TimeSpan.FromMilliseconds(150), Times = 100 });
        try
        {
            await Dataset.FromLocalDirectory(Path.Combine(temp.Path, "ds")).ToCloudAsync($"gs://{bucket}/ds",
                new TransferOptions { Store = tracking, Parallelism = 4 });
        }
        finally
        {
            fixture.Emulator.Faults.Clear();
        }
        Assert.InRange(tracking.MaximumConcurrentUploads, 2, 4);
        Assert.Equal(13, fixture.Emulator.Store.ListObjectNames(bucket).Count);
    }

    [Fact]
    public async Task Missing_dataset_gives_a_clear_error()
    {
        var bucket = fixture.NewBucket();
        var error = await Assert.ThrowsAsync<ObjectNotFoundException>(() => Dataset.FromCloudAsync($"gs://{bucket}/none", fixture.Options()));
        Assert.Contains($"gs://{bucket}/none", error.Message);
    }

    [Fact]
    public void Tags_with_nested_values_survive_a_local_round_trip()
    {
        using var temp = new TempFolder();
        var dataset = LocalDataset(temp);
        dataset.Tags["nested"] = new JsonObject { ["k"] = new JsonArray(1, 1.5, "ü") };
        Assert.Equal("{\"location\": 108346, \"depth\": 12.0, \"site\": \"\\u00cele d'Yeu\", \"nested\": {\"k\": [1, 1.5, \"\\u00fc\"]}}", dataset.Tags.ToJson());
    }
}
