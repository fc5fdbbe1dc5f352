using System.Text;
using System.Text.Json.Nodes;
using Octue.Mount.Emulator;
using Octue.Mount.Testing;

namespace Octue.Mount.Cli.Tests.Octue;

public sealed class OctueDataCommandTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>, IDisposable
{
    private readonly GcsEmulator _emulator = fixture.Emulator;
    /// <summary>A bucket of this test's own on the class's emulator.</summary>
    private readonly string _bucket = fixture.NewBucket("octue-data");
    private readonly string _temp = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "octue-cli-tests-" + Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose()
    {
        if (Directory.Exists(_temp)) Directory.Delete(_temp, recursive: true);
    }

    private Task<CliRunner.Result> Run(params string[] args) => CliRunner.RunAsync(_emulator.HostAndPort, args);

    private string WriteFile(string relative, string content)
    {
        var path = Path.Combine(_temp, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task Dataset_upload_info_download_and_rerun_skip()
    {
        WriteFile("ds/a.txt", "alpha");
        WriteFile("ds/sub/b.txt", "beta");
        WriteFile("ds/.octue", "{\"dataset\": {\"id\": \"5eb88462-7295-4a8e-90de-82bdf3241903\", \"name\": \"ds\", \"tags\": {\"n\": 1, \"f\": 1.0}, \"labels\": [\"z\", \"a\"], \"path\": null}}");

        var upload = await Run("upload", Path.Combine(_temp, "ds"), $"gs://{_bucket}/out/ds", "--parallelism", "4");
        Assert.True(upload.ExitCode == 0, upload.Stderr);
        Assert.Equal($"gs://{_bucket}/out/ds", upload.Stdout.Trim());
        Assert.True(_emulator.Store.TryGetObject(_bucket, "out/ds/sub/b.txt", out _));

        var info = await Run("info", $"gs://{_bucket}/out/ds");
        Assert.True(info.ExitCode == 0, info.Stderr);
        var json = JsonNode.Parse(info.Stdout)!.AsObject();
        Assert.Equal("5eb88462-7295-4a8e-90de-82bdf3241903", (string?)json["id"]);
        Assert.Equal("ds", (string?)json["name"]);
        Assert.Null(json["timestamp"]);
        Assert.Equal(new[] { "a", "z" }, json["labels"]!.AsArray().Select(l => (string?)l));
        Assert.Equal(new[] { $"gs://{_bucket}/out/ds/a.txt", $"gs://{_bucket}/out/ds/sub/b.txt" }, json["files"]!.AsArray().Select(f => (string?)f));
        Assert.Contains("\"n\": 1,", info.Stdout);
        Assert.Contains("\"f\": 1.0", info.Stdout);

        var again = await Run("upload", Path.Combine(_temp, "ds"), $"gs://{_bucket}/out/ds");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("2 unchanged, skipped", again.Stderr);

        var download = await Run("download", $"gs://{_bucket}/out/ds", Path.Combine(_temp, "copy"));
        Assert.True(download.ExitCode == 0, download.Stderr);
        Assert.Equal("beta", File.ReadAllText(Path.Combine(_temp, "copy", "sub", "b.txt")));
        var rerun = await Run("download", $"gs://{_bucket}/out/ds", Path.Combine(_temp, "copy"));
        Assert.Contains("2 unchanged, skipped", rerun.Stderr);
    }

    [Fact]
    public async Task Datafile_upload_info_and_download()
    {
        var local = WriteFile("f.bin", "This is a test upload.");
        var upload = await Run("upload", local, $"gs://{_bucket}/files/f.bin");
        Assert.True(upload.ExitCode == 0, upload.Stderr);

        var info = await Run("info", $"gs://{_bucket}/files/f.bin");
        Assert.True(info.ExitCode == 0, info.Stderr);
        var json = JsonNode.Parse(info.Stdout)!.AsObject();
        Assert.Equal("1mmhsg==", (string?)json["crc32c"]);
        Assert.Equal("f.bin", (string?)json["name"]);
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", (string?)json["id"]);
        Assert.Empty(json["tags"]!.AsObject());
        Assert.Empty(json["labels"]!.AsArray());
        Assert.True(json.ContainsKey("timestamp"));

        Directory.CreateDirectory(Path.Combine(_temp, "dl"));
        var download = await Run("download", $"gs://{_bucket}/files/f.bin", Path.Combine(_temp, "dl"));
        Assert.True(download.ExitCode == 0, download.Stderr);
        Assert.Equal("This is a test upload.", File.ReadAllText(Path.Combine(_temp, "dl", "f.bin")));
    }

    [Fact]
    public async Task Manifest_info_and_download_read_the_spec_formats()
    {
        _emulator.Store.PutObject(_bucket, "datasets/my-dataset/.octue", Encoding.UTF8.GetBytes(
            "{\"dataset\": {\"id\": \"5eb88462-7295-4a8e-90de-82bdf3241903\", \"name\": \"my-dataset\", \"tags\": {\"location\": 108346}, \"labels\": [\"offshore\"], \"path\": \"gs://" + _bucket + "/datasets/my-dataset\"}}"));
        _emulator.Store.PutObject(_bucket, "datasets/my-dataset/file_0.txt", Encoding.ASCII.GetBytes("[1, 2, 3]"), new Dictionary<string, string>
        {
            ["octue__timestamp"] = "{\"_type\": \"datetime\", \"value\": \"2021-03-08T19:39:21.123456+00:00\"}",
        });
        _emulator.Store.PutObject(_bucket, "manifest.json", Encoding.UTF8.GetBytes(
            "{\n    \"datasets\": {\n        \"my_dataset\": \"gs://" + _bucket + "/datasets/my-dataset\"\n    },\n    \"id\": \"dab88335-d739-4899-8eec-13ffdb5921fd\",\n    \"name\": null\n}"));

        var info = await Run("info", $"gs://{_bucket}/manifest.json");
        Assert.True(info.ExitCode == 0, info.Stderr);
        var json = JsonNode.Parse(info.Stdout)!.AsObject();
        Assert.Equal("dab88335-d739-4899-8eec-13ffdb5921fd", (string?)json["id"]);
        var dataset = json["datasets"]!["my_dataset"]!.AsObject();
        Assert.Equal("my-dataset", (string?)dataset["name"]);
        Assert.Equal(108346, (int)dataset["tags"]!["location"]!);
        Assert.Equal(new[] { $"gs://{_bucket}/datasets/my-dataset/file_0.txt" }, dataset["files"]!.AsArray().Select(f => (string?)f));

        var fileInfo = await Run("info", $"gs://{_bucket}/datasets/my-dataset/file_0.txt");
        Assert.Equal("2021-03-08T19:39:21.123456+00:00", (string?)JsonNode.Parse(fileInfo.Stdout)!["timestamp"]);
        Assert.Equal("6NMauw==", (string?)JsonNode.Parse(fileInfo.Stdout)!["crc32c"]);

        var download = await Run("download", $"gs://{_bucket}/manifest.json", Path.Combine(_temp, "m"));
        Assert.True(download.ExitCode == 0, download.Stderr);
        Assert.Equal("[1, 2, 3]", File.ReadAllText(Path.Combine(_temp, "m", "my_dataset", "file_0.txt")));
        Assert.True(File.Exists(Path.Combine(_temp, "m", "manifest.json")));

        var upload = await Run("upload", Path.Combine(_temp, "m", "manifest.json"), $"gs://{_bucket}/copy/manifest.json");
        Assert.True(upload.ExitCode == 0, upload.Stderr);
        Assert.True(_emulator.Store.TryGetObject(_bucket, "copy/my-dataset/file_0.txt", out _));
    }

    [Fact]
    public async Task Bad_input_gives_a_clear_message_and_a_non_zero_exit()
    {
        var notUri = await Run("info", "s3://bucket/x");
        Assert.NotEqual(0, notUri.ExitCode);
        Assert.Contains("gs://", notUri.Stderr);

        var missing = await Run("info", $"gs://{_bucket}/nothing-here");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains($"gs://{_bucket}/nothing-here", missing.Stderr);

        var noSource = await Run("upload", Path.Combine(_temp, "absent"), $"gs://{_bucket}/x");
        Assert.NotEqual(0, noSource.ExitCode);
        Assert.Contains("absent", noSource.Stderr);

        _emulator.Store.PutObject(_bucket, "bad/.octue", Encoding.UTF8.GetBytes("{\"dataset\": {\"name\": 5}}"));
        var malformed = await Run("info", $"gs://{_bucket}/bad");
        Assert.NotEqual(0, malformed.ExitCode);
        Assert.Contains("'name'", malformed.Stderr);

        var parallel = await Run("download", $"gs://{_bucket}/bad", _temp, "--parallelism", "0");
        Assert.NotEqual(0, parallel.ExitCode);
        Assert.Contains("--parallelism", parallel.Stderr);
    }

    [Theory]
    [InlineData("ok.txt", "evil/../ok.txt")]
    [InlineData("a", "a/b")]
    [InlineData("x//y", "z")]
    public async Task A_dataset_whose_objects_do_not_map_to_one_local_file_each_is_refused_before_anything_is_written(string first, string second)
    {
        _emulator.Store.PutObject(_bucket, "clash/" + first, Encoding.ASCII.GetBytes("first"));
        _emulator.Store.PutObject(_bucket, "clash/" + second, Encoding.ASCII.GetBytes("second"));
        var target = Path.Combine(_temp, "clash-copy");

        var download = await Run("download", $"gs://{_bucket}/clash", target, "--kind", "dataset");

        Assert.Equal(1, download.ExitCode);
        Assert.Contains("Nothing was downloaded", download.Stderr);
        Assert.Contains($"gs://{_bucket}/clash/" + first, download.Stderr);
        if (!first.Contains("//"))
            Assert.Contains($"gs://{_bucket}/clash/" + second, download.Stderr);
        Assert.False(Directory.Exists(target), "the destination was created");
    }

    [Fact]
    public async Task A_manifest_whose_datasets_leave_the_folder_or_collide_is_refused_before_anything_is_written()
    {
        _emulator.Store.PutObject(_bucket, "m/good/file.txt", Encoding.ASCII.GetBytes("good"));
        _emulator.Store.PutObject(_bucket, "m/other/file.txt", Encoding.ASCII.GetBytes("other"));
        _emulator.Store.PutObject(_bucket, "m/escape.json", Encoding.UTF8.GetBytes(
            "{\"id\": \"dab88335-d739-4899-8eec-13ffdb5921fd\", \"datasets\": {\"good\": \"gs://" + _bucket + "/m/good\", \"../../etc\": \"gs://" + _bucket + "/m/other\"}}"));
        _emulator.Store.PutObject(_bucket, "m/collide.json", Encoding.UTF8.GetBytes(
            "{\"id\": \"dab88335-d739-4899-8eec-13ffdb5921fd\", \"datasets\": {\"good\": \"gs://" + _bucket + "/m/good\", \"good/file.txt\": \"gs://" + _bucket + "/m/other\"}}"));
        var target = Path.Combine(_temp, "manifest-copy");

        var escape = await Run("download", $"gs://{_bucket}/m/escape.json", target, "--kind", "manifest");
        Assert.Equal(1, escape.ExitCode);
        Assert.Contains("dataset '../../etc'", escape.Stderr);
        Assert.Contains("'..'", escape.Stderr);
        Assert.False(Directory.Exists(target), "the destination was created");

        var collide = await Run("download", $"gs://{_bucket}/m/collide.json", target, "--kind", "manifest");
        Assert.Equal(1, collide.ExitCode);
        Assert.Contains($"gs://{_bucket}/m/good/file.txt", collide.Stderr);
        Assert.Contains("dataset 'good/file.txt'", collide.Stderr);
        Assert.False(Directory.Exists(target), "the destination was created");
    }

    [Fact]
    public async Task Corrupt_download_fails_and_leaves_nothing_behind()
    {
        _emulator.Store.PutObject(_bucket, "c/data.bin", new byte[5000]);
        _emulator.Faults.Add(new FaultRule { Kind = FaultKind.CorruptMedia, Bucket = _bucket, ObjectName = "c/data.bin", AfterBytes = 100, Times = 100 });
        var target = Path.Combine(_temp, "out");
        Directory.CreateDirectory(target);
        var download = await Run("download", $"gs://{_bucket}/c/data.bin", target);
        Assert.NotEqual(0, download.ExitCode);
        Assert.Contains("error:", download.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(target));
    }
}
