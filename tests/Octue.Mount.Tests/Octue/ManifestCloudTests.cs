using System.Text;
using System.Text.Json.Nodes;
using global::Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Octue;

[Collection(EmulatorCollection.Name)]
public sealed class ManifestCloudTests(OctueFixture fixture)
{
    [Fact]
    public async Task Round_trip_storing_datasets_beside_the_manifest()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        temp.File("met/mast.csv", "1,2");
        temp.File("met/sub/more.csv", "3,4");
        temp.File("lidar/scan.bin", "scan");
        var met = Dataset.FromLocalDirectory(Path.Combine(temp.Path, "met"), "met-mast");
        met.Tags["height"] = 80;
        var lidar = Dataset.FromLocalDirectory(Path.Combine(temp.Path, "lidar"));
        var manifest = new Manifest([new("met_mast", met), new("lidar", lidar)], name: "inputs");

        var uri = await manifest.ToCloudAsync("project", bucket, "runs/1/manifest.json", storeDatasets: true, fixture.Options());

        Assert.Equal($"gs://{bucket}/runs/1/manifest.json", uri);
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "runs/1/manifest.json", out var stored));
        Assert.Equal(
            $"{{\n    \"datasets\": {{\n        \"lidar\": \"gs://{bucket}/runs/1/lidar\",\n        \"met_mast\": \"gs://{bucket}/runs/1/met-mast\"\n    }},\n    \"id\": \"{manifest.Id}\",\n    \"name\": \"inputs\"\n}}",
            Encoding.UTF8.GetString(stored.Data));
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "runs/1/met-mast/sub/more.csv", out _));

        var back = await Manifest.FromCloudAsync("project", bucket, "runs/1/manifest.json", fixture.Options());
        Assert.Equal(manifest.Id, back.Id);
        Assert.Equal("inputs", back.Name);
        Assert.Equal(new[] { "met_mast", "lidar" }.Order(), back.Datasets.Keys.Order());
        Assert.Equal(met.Id, back.Datasets["met_mast"].Id);
        Assert.Equal(met.Tags, back.Datasets["met_mast"].Tags);
        Assert.Equal(new[] { "mast.csv", "sub/more.csv" }, back.Datasets["met_mast"].Files.Select(f => f.PathInDataset));

        var localManifest = await back.DownloadAsync(Path.Combine(temp.Path, "download"), fixture.Options());
        Assert.Equal("3,4", await File.ReadAllTextAsync(Path.Combine(temp.Path, "download", "met_mast", "sub", "more.csv")));
        var reread = await Manifest.FromLocalFileAsync(localManifest, fixture.Options());
        Assert.Equal(manifest.Id, reread.Id);
        Assert.Equal(met.Tags, reread.Datasets["met_mast"].Tags);
    }

    [Fact]
    public async Task Referring_to_datasets_where_they_are_in_any_bucket()
    {
        var bucket = fixture.NewBucket();
        var other = fixture.NewBucket();
        var store = fixture.Emulator.Store;
        store.PutObject(other, "data/ds/a.txt", [1]);
        store.PutObject(other, "data/ds/.octue", Encoding.UTF8.GetBytes("{\"dataset\": {\"id\": \"d1\", \"name\": \"ds\", \"tags\": {}, \"labels\": [], \"path\": \"x\"}}"));
        store.PutObject(bucket, "loose/one.txt", [2]);
        store.PutObject(other, "loose/two.txt", [3]);

        var byFolder = await Dataset.FromCloudAsync($"gs://{other}/data/ds", fixture.Options());
        var byFiles = new Dataset("mixed", [
            await Datafile.FromCloudAsync($"gs://{bucket}/loose/one.txt", fixture.Options()),
            await Datafile.FromCloudAsync($"gs://{other}/loose/two.txt", fixture.Options()),
        ]);
        byFiles.Labels.Add("mixed");
        var manifest = new Manifest([new("ds", byFolder), new("mixed", byFiles)]);

        await manifest.ToCloudAsync($"gs://{bucket}/m.json", storeDatasets: false, fixture.Options());

        Assert.Equal(new[] { "loose/one.txt", "m.json" }, store.ListObjectNames(bucket).Order(StringComparer.Ordinal));
        var back = await Manifest.FromCloudAsync($"gs://{bucket}/m.json", fixture.Options());
        Assert.Equal("d1", back.Datasets["ds"].Id);
        Assert.Equal(new[] { "a.txt" }, back.Datasets["ds"].Files.Select(f => f.PathInDataset));
        Assert.Equal(byFiles.Id, back.Datasets["mixed"].Id);
        Assert.Equal(new[] { "mixed" }, back.Datasets["mixed"].Labels);
        Assert.Equal(new[] { $"gs://{bucket}/loose/one.txt", $"gs://{other}/loose/two.txt" },
            back.Datasets["mixed"].Files.Select(f => f.CloudPath.ToString()));
    }

    private static readonly DateTimeOffset MastTimestamp = new DateTimeOffset(2023, 6, 1, 8, 30, 0, TimeSpan.FromHours(-5)).AddTicks(7);
    private static readonly DateTimeOffset ScanTimestamp = SpecExamples.DatafileTimestamp;

    // A dataset carrying every kind of value a round trip could lose: labels, float vs int, nested and unicode tags,
    // datafile timestamps (one with an offset, one with microseconds, one absent) and files in sub-folders.
    private static Dataset RichDataset(TempFolder temp, string folder, string name)
    {
        temp.File($"{folder}/mast.csv", "1,2");
        temp.File($"{folder}/sub/more.csv", "3,4");
        temp.File($"{folder}/sub/deeper/scan.bin", "scan");
        var dataset = Dataset.FromLocalDirectory(Path.Combine(temp.Path, folder), name);
        dataset.Tags["height"] = 80;
        dataset.Tags["ratio"] = 1.0;
        dataset.Tags["site"] = "Île d'Yeu — 風";
        dataset.Tags["layout"] = new JsonObject { ["rows"] = new JsonArray(1, 1.0, new JsonObject { ["k"] = "ß" }), ["empty"] = new JsonObject() };
        dataset.Labels.Add("met-mast");
        dataset.Labels.Add("offshore");
        var files = dataset.Files.ToDictionary(f => f.PathInDataset!);
        files["mast.csv"].Timestamp = MastTimestamp;
        files["mast.csv"].Tags["count"] = 1;
        files["mast.csv"].Tags["scale"] = 1.0;
        files["sub/deeper/scan.bin"].Timestamp = ScanTimestamp;
        files["sub/deeper/scan.bin"].Tags["nested"] = new JsonObject { ["a"] = new JsonArray(2, 2.5), ["name"] = "naïve" };
        files["sub/deeper/scan.bin"].Labels.Add("lidar");
        return dataset;
    }

    // pathPrefix: how the datafiles' paths in the dataset begin ("" under the dataset's folder, "<bucket>/<folder>/"
    // for a dataset given as a file list).
    private static void AssertRichDatasetSurvived(Dataset expected, Dataset actual, string pathPrefix = "")
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(new[] { "met-mast", "offshore" }, actual.Labels.Order(StringComparer.Ordinal));
        // The serialised form keeps number text, so 1 and 1.0 differ here; keys are compared sorted because a
        // manifest's own dataset objects are written with sorted keys, as the Python SDK writes them.
        Assert.Equal(
            "{\"height\": 80, \"layout\": {\"empty\": {}, \"rows\": [1, 1.0, {\"k\": \"\\u00df\"}]}, \"ratio\": 1.0, \"site\": \"\\u00cele d'Yeu \\u2014 \\u98a8\"}",
            PythonJson.Serialize(actual.Tags.ToJsonObject(), sortKeys: true));
        Assert.Equal("Île d'Yeu — 風", actual.Tags["site"]!.GetValue<string>());
        Assert.True(PythonJson.IsInteger(actual.Tags["height"]!.AsValue()));
        Assert.False(PythonJson.IsInteger(actual.Tags["ratio"]!.AsValue()));

        Assert.Equal(new[] { "mast.csv", "sub/deeper/scan.bin", "sub/more.csv" }.Select(p => pathPrefix + p), actual.Files.Select(f => f.PathInDataset));
        var files = actual.Files.ToDictionary(f => f.PathInDataset![pathPrefix.Length..]);
        foreach (var file in expected.Files)
            Assert.Equal(file.Id, files[file.PathInDataset!].Id);
        Assert.Equal(MastTimestamp.AddTicks(-7), files["mast.csv"].Timestamp);
        Assert.Equal(ScanTimestamp, files["sub/deeper/scan.bin"].Timestamp);
        Assert.Null(files["sub/more.csv"].Timestamp);
        Assert.Equal("{\"count\": 1, \"scale\": 1.0}", files["mast.csv"].Tags.ToJson());
        Assert.Equal("{\"nested\": {\"a\": [2, 2.5], \"name\": \"na\\u00efve\"}}", files["sub/deeper/scan.bin"].Tags.ToJson());
        Assert.Equal(new[] { "lidar" }, files["sub/deeper/scan.bin"].Labels);
        Assert.Empty(files["sub/more.csv"].Labels);
    }

    [Fact]
    public async Task Round_trip_storing_datasets_keeps_labels_timestamps_numbers_nested_unicode_tags_and_sub_folders()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        var met = RichDataset(temp, "met", "met-mast");
        var manifest = new Manifest([new("met_mast", met)], name: "inputs");

        var uri = await manifest.ToCloudAsync($"gs://{bucket}/runs/2/manifest.json", storeDatasets: true, fixture.Options());

        var back = await Manifest.FromCloudAsync(uri, fixture.Options());
        Assert.Equal(manifest.Id, back.Id);
        Assert.Equal("inputs", back.Name);
        Assert.Equal($"gs://{bucket}/runs/2/met-mast", back.Datasets["met_mast"].CloudPath?.ToString());
        AssertRichDatasetSurvived(met, back.Datasets["met_mast"]);

        // And through a local download and back.
        var localManifest = await back.DownloadAsync(Path.Combine(temp.Path, "download"), fixture.Options());
        var reread = await Manifest.FromLocalFileAsync(localManifest, fixture.Options());
        Assert.Equal(manifest.Id, reread.Id);
        AssertRichDatasetSurvived(met, reread.Datasets["met_mast"]);
    }

    [Fact]
    public async Task Round_trip_referring_to_datasets_in_a_second_bucket_keeps_labels_timestamps_numbers_nested_unicode_tags_and_sub_folders()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        var other = fixture.NewBucket();
        var byFolder = RichDataset(temp, "by-folder", "met-mast");
        await byFolder.ToCloudAsync($"gs://{other}/data/met-mast", fixture.Options());
        // A second dataset the manifest describes itself (a file list with its own id, tags and labels).
        var uploaded = RichDataset(temp, "by-files", "listed");
        await uploaded.ToCloudAsync($"gs://{other}/elsewhere/listed", fixture.Options());
        var byFiles = new Dataset("listed", uploaded.Files) { Id = uploaded.Id, Tags = uploaded.Tags, Labels = uploaded.Labels };
        var manifest = new Manifest([new("folder", byFolder), new("files", byFiles)]);

        await manifest.ToCloudAsync($"gs://{bucket}/m.json", storeDatasets: false, fixture.Options());

        Assert.Equal(new[] { "m.json" }, fixture.Emulator.Store.ListObjectNames(bucket));
        var back = await Manifest.FromCloudAsync($"gs://{bucket}/m.json", fixture.Options());
        Assert.Equal(manifest.Id, back.Id);
        Assert.Equal($"gs://{other}/data/met-mast", back.Datasets["folder"].CloudPath?.ToString());
        AssertRichDatasetSurvived(byFolder, back.Datasets["folder"]);
        Assert.True(back.Datasets["files"].HasExplicitFileList);
        Assert.Equal(uploaded.Files.Select(f => f.CloudPath!.ToString()).Order(StringComparer.Ordinal),
            back.Datasets["files"].Files.Select(f => f.CloudPath!.ToString()));
        AssertRichDatasetSurvived(uploaded, back.Datasets["files"], pathPrefix: $"{other}/elsewhere/listed/");
    }

    [Fact]
    public async Task A_local_manifest_may_name_cloud_datasets_which_are_copied_when_stored()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        fixture.Emulator.Store.PutObject(bucket, "existing/remote/r.txt", Encoding.ASCII.GetBytes("remote"), SpecExamples.NewDatafileMetadata);
        temp.File("m/local/l.txt", "local");
        var path = temp.File("m/manifest.json", $"{{\"id\": \"m1\", \"datasets\": {{\"local\": \"local\", \"remote\": \"gs://{bucket}/existing/remote\"}}}}");

        var manifest = await Manifest.FromLocalFileAsync(path, fixture.Options());
        await manifest.ToCloudAsync($"gs://{bucket}/out/manifest.json", storeDatasets: true, fixture.Options());

        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "out/local/l.txt", out _));
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "out/remote/r.txt", out var copied));
        Assert.Equal(SpecExamples.NewDatafileMetadata["octue__tags"], copied.Metadata["octue__tags"]);
        var back = await Manifest.FromCloudAsync($"gs://{bucket}/out/manifest.json", fixture.Options());
        Assert.Equal("m1", back.Id);
        Assert.Equal($"gs://{bucket}/out/remote", back.Datasets["remote"].CloudPath.ToString());
    }

    [Fact]
    public async Task Local_datasets_cannot_be_referred_to_without_storing_them()
    {
        using var temp = new TempFolder();
        var bucket = fixture.NewBucket();
        temp.File("d/a.txt", "a");
        var manifest = new Manifest([new("d", Dataset.FromLocalDirectory(Path.Combine(temp.Path, "d")))]);
        var error = await Assert.ThrowsAsync<OctueFormatException>(() => manifest.ToCloudAsync($"gs://{bucket}/m.json", storeDatasets: false, fixture.Options()));
        Assert.Contains("storeDatasets", error.Rule);
        Assert.Empty(fixture.Emulator.Store.ListObjectNames(bucket));
    }

    [Fact]
    public async Task Spec_manifests_read_back_to_the_stated_values()
    {
        var bucket = fixture.NewBucket();
        var store = fixture.Emulator.Store;
        store.PutObject(bucket, "outputs/my-dataset/dataset.json",
            Encoding.UTF8.GetBytes(SpecExamples.OldDatasetJson.Replace("gs://my-bucket/", $"gs://{bucket}/")));
        store.PutObject(bucket, "outputs/my-dataset/file_0.txt", [1]);
        store.PutObject(bucket, "outputs/my-dataset/file_1.txt", [2]);
        store.PutObject(bucket, "datasets/my-dataset/.octue", Encoding.UTF8.GetBytes(SpecExamples.NewOctue));
        store.PutObject(bucket, "datasets/my-dataset/file_0.txt", [3]);
        store.PutObject(bucket, "old.json", Encoding.UTF8.GetBytes(SpecExamples.OldManifest.Replace("gs://my-bucket/", $"gs://{bucket}/")));
        store.PutObject(bucket, "new.json", Encoding.UTF8.GetBytes(SpecExamples.NewManifest.Replace("gs://my-bucket/", $"gs://{bucket}/")));
        store.PutObject(bucket, "url.json", Encoding.UTF8.GetBytes(
            $"{{\"id\": \"u\", \"datasets\": {{\"d\": \"https://storage.googleapis.com/{bucket}/datasets/my-dataset?ignored=1\"}}}}"));
        store.PutObject(bucket, "minimal.json", Encoding.UTF8.GetBytes(SpecExamples.MinimalManifest));

        var old = await Manifest.FromCloudAsync($"gs://{bucket}/old.json", fixture.Options());
        Assert.Equal(SpecExamples.ManifestId, old.Id);
        Assert.Equal(SpecExamples.DatasetId, old.Datasets["my-dataset"].Id);
        Assert.Equal(2, old.Datasets["my-dataset"].Files.Count);

        var current = await Manifest.FromCloudAsync($"gs://{bucket}/new.json", fixture.Options());
        Assert.Equal(SpecExamples.ManifestId, current.Id);
        Assert.Null(current.Name);
        Assert.Equal("my-dataset", current.Datasets["my_dataset"].Name);
        Assert.Equal(new[] { "offshore" }, current.Datasets["my_dataset"].Labels);

        var url = await Manifest.FromCloudAsync($"gs://{bucket}/url.json", fixture.Options());
        Assert.Equal(SpecExamples.DatasetId, url.Datasets["d"].Id);

        var minimal = await Manifest.FromCloudAsync($"gs://{bucket}/minimal.json", fixture.Options());
        Assert.Equal("8ead7669-8162-4f64-8cd5-4abe92509e17", minimal.Id);
        Assert.Empty(minimal.Datasets);
        Assert.Equal("data/input/raw_met_mast_data", minimal.LocalDatasetPaths["raw_met_mast_data"]);
    }

    [Fact]
    public async Task Malformed_or_missing_manifests_give_clear_errors()
    {
        var bucket = fixture.NewBucket();
        fixture.Emulator.Store.PutObject(bucket, "bad.json", Encoding.UTF8.GetBytes("{\"datasets\": 3}"));
        var error = await Assert.ThrowsAsync<OctueFormatException>(() => Manifest.FromCloudAsync($"gs://{bucket}/bad.json", fixture.Options()));
        Assert.Contains("datasets", error.Field);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => Manifest.FromCloudAsync($"gs://{bucket}/none.json", fixture.Options()));
    }
}
