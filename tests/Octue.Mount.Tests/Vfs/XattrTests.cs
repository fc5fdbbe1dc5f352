using System.Text;
using Octue.Mount.Octue;
using Octue.Mount.Tests.Octue;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

public sealed class XattrTests : IClassFixture<VfsFixture>
{
    private readonly VfsFixture _fixture;

    public XattrTests(VfsFixture fixture) => _fixture = fixture;

    // Verbatim object metadata written by the Python SDK (spec/octue-format.md).
    private static readonly Dictionary<string, string> NewFormat = SpecExamples.NewDatafileMetadata;
    private static readonly Dictionary<string, string> OldFormat = SpecExamples.OldDatafileMetadata;

    private static async Task<string> GetAsync(MountedBucket mount, ulong node, string name)
    {
        var value = await mount.Fs.GetXattrAsync(node, name);
        Assert.True(value.IsOk, $"{name}: {value.Error}");
        return Encoding.UTF8.GetString(value.Value);
    }

    private static Task<VfsError> SetAsync(MountedBucket mount, ulong node, string name, string value, XattrFlags flags = XattrFlags.None) =>
        mount.Fs.SetXattrAsync(node, name, Encoding.UTF8.GetBytes(value), flags).AsTask();

    [Fact]
    public async Task Tags_written_by_the_python_sdk_in_the_new_format_read_as_xattrs()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Emulator.Store.PutObject(bucket, "new.json", "[1, 2, 3]"u8.ToArray(), NewFormat);
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("new.json");

        Assert.Equal("a10603a0-194c-40d0-a7b7-fcf9952c3690", await GetAsync(mount, file.NodeId, "user.octue.id"));
        Assert.Equal("2021-03-08T19:39:21.123456+00:00", await GetAsync(mount, file.NodeId, "user.octue.timestamp"));
        Assert.Equal("{\"manufacturer\": \"Vestas\", \"height\": 110.5, \"is_cleaned\": true, \"nested\": {\"a\": [1, 2]}}", await GetAsync(mount, file.NodeId, "user.octue.tags"));
        Assert.Equal("\"Vestas\"", await GetAsync(mount, file.NodeId, "user.octue.tags.manufacturer"));
        Assert.Equal("110.5", await GetAsync(mount, file.NodeId, "user.octue.tags.height"));
        Assert.Equal("{\"a\": [1, 2]}", await GetAsync(mount, file.NodeId, "user.octue.tags.nested"));
        Assert.Equal("[\"met-mast\", \"wind\"]", await GetAsync(mount, file.NodeId, "user.octue.labels"));
        Assert.Equal("6NMauw==", await GetAsync(mount, file.NodeId, "user.gcs.crc32c"));
        Assert.Equal($"gs://{bucket}/new.json", await GetAsync(mount, file.NodeId, "user.gcs.uri"));
        Assert.Equal("9", await GetAsync(mount, file.NodeId, "user.gcs.size"));
        Assert.Equal(VfsError.NoData, (await mount.Fs.GetXattrAsync(file.NodeId, "user.octue.tags.missing")).Error);

        var names = (await mount.Fs.ListXattrAsync(file.NodeId)).Value;
        Assert.Contains("user.octue.tags.is_cleaned", names);
        Assert.Contains("user.gcs.generation", names);
        Assert.Contains("user.octue.integrity", names);
        Assert.DoesNotContain(names, n => n.Contains("octue__"));
    }

    [Fact]
    public async Task Tags_written_by_the_python_sdk_in_the_old_format_read_as_xattrs()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Emulator.Store.PutObject(bucket, "old.json", "[1, 2, 3]"u8.ToArray(), OldFormat);
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("old.json");

        Assert.Equal("a10603a0-194c-40d0-a7b7-fcf9952c3690", await GetAsync(mount, file.NodeId, "user.octue.id"));
        Assert.Equal("2021-03-08T19:39:21.123456+00:00", await GetAsync(mount, file.NodeId, "user.octue.timestamp"));
        Assert.Equal("[\"blah:shah:nah\", \"hello\"]", await GetAsync(mount, file.NodeId, "user.octue.labels"));
        Assert.Equal("{}", await GetAsync(mount, file.NodeId, "user.octue.tags"));
        Assert.Equal("\"56871f17ed4cd62aae848088c4a471deb35184ca38d49ce05fd7307f1898b7e2\"", await GetAsync(mount, file.NodeId, "user.gcs.meta.hash_value"));
    }

    [Fact]
    public async Task Setting_a_tag_patches_the_object_in_the_new_format_and_invalid_input_is_refused_whole()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Emulator.Store.PutObject(bucket, "d.json", "[1, 2, 3]"u8.ToArray(), NewFormat);
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("d.json");

        Assert.Equal(VfsError.None, await SetAsync(mount, file.NodeId, "user.octue.tags.site", "\"north\""));
        Assert.Equal(VfsError.None, await SetAsync(mount, file.NodeId, "user.octue.tags.count", "3"));
        Assert.Equal("\"north\"", await GetAsync(mount, file.NodeId, "user.octue.tags.site"));

        var stored = _fixture.Metadata(bucket, "d.json");
        var parsed = DatafileMetadata.FromObjectMetadata(stored);
        Assert.Equal("north", parsed.Tags["site"]!.GetValue<string>());
        Assert.Equal(3, parsed.Tags["count"]!.GetValue<int>());
        Assert.Equal("Vestas", parsed.Tags["manufacturer"]!.GetValue<string>());
        Assert.Equal("a10603a0-194c-40d0-a7b7-fcf9952c3690", parsed.Id);
        Assert.Contains("\"site\": \"north\"", stored["octue__tags"]);

        var before = new Dictionary<string, string>(_fixture.Metadata(bucket, "d.json"));
        Assert.Equal(VfsError.InvalidArgument, await SetAsync(mount, file.NodeId, "user.octue.tags.SHOUTY", "1"));
        Assert.Equal(VfsError.InvalidArgument, await SetAsync(mount, file.NodeId, "user.octue.tags.a-b", "1"));
        Assert.Equal(VfsError.InvalidArgument, await SetAsync(mount, file.NodeId, "user.octue.tags.ok", "{\"broken\": "));
        Assert.Equal(VfsError.InvalidArgument, await SetAsync(mount, file.NodeId, "user.octue.tags.ok", "\"unterminated"));
        Assert.Equal(VfsError.InvalidArgument, await SetAsync(mount, file.NodeId, "user.octue.tags", "{\"good\": 1, \"Bad\": 2}"));
        Assert.Equal(VfsError.InvalidArgument, await SetAsync(mount, file.NodeId, "user.octue.labels", "[\"fine\", \"a_b\"]"));
        Assert.Equal(VfsError.InvalidArgument, await SetAsync(mount, file.NodeId, "user.octue.timestamp", "yesterday"));
        Assert.Equal(VfsError.InvalidArgument, await SetAsync(mount, file.NodeId, "user.gcs.meta.octue__tags", "{}"));
        Assert.Equal(before, _fixture.Metadata(bucket, "d.json"));

        Assert.Equal(VfsError.NotPermitted, await SetAsync(mount, file.NodeId, "user.gcs.crc32c", "AAAAAA=="));
        Assert.Equal(VfsError.NotPermitted, await SetAsync(mount, file.NodeId, "user.octue.integrity", "verified"));
        Assert.Equal(VfsError.NotPermitted, await mount.Fs.RemoveXattrAsync(file.NodeId, "user.gcs.generation"));

        Assert.Equal(VfsError.Exists, await SetAsync(mount, file.NodeId, "user.octue.tags.site", "1", XattrFlags.Create));
        Assert.Equal(VfsError.NoData, await SetAsync(mount, file.NodeId, "user.octue.tags.nope", "1", XattrFlags.Replace));
        Assert.Equal(VfsError.None, await SetAsync(mount, file.NodeId, "user.octue.tags.site", "\"south\"", XattrFlags.Replace));
        Assert.Equal(VfsError.None, await mount.Fs.RemoveXattrAsync(file.NodeId, "user.octue.tags.count"));
        Assert.Equal(VfsError.NoData, await mount.Fs.RemoveXattrAsync(file.NodeId, "user.octue.tags.count"));
        Assert.False(DatafileMetadata.FromObjectMetadata(_fixture.Metadata(bucket, "d.json")).Tags.ContainsKey("count"));

        // setfattr -v "north" strips the quotes: plain text becomes a JSON string.
        Assert.Equal(VfsError.None, await SetAsync(mount, file.NodeId, "user.octue.tags.plain", "north east"));
        Assert.Equal("\"north east\"", await GetAsync(mount, file.NodeId, "user.octue.tags.plain"));
        Assert.Equal(VfsError.None, await SetAsync(mount, file.NodeId, "user.octue.labels", "[\"wind\", \"offshore\"]"));
        Assert.Equal("[\"offshore\", \"wind\"]", await GetAsync(mount, file.NodeId, "user.octue.labels"));
        Assert.Equal(VfsError.None, await SetAsync(mount, file.NodeId, "user.gcs.content_type", "application/json"));
        Assert.Equal(VfsError.None, await SetAsync(mount, file.NodeId, "user.gcs.meta.owner", "team-a"));
        Assert.Equal("team-a", _fixture.Metadata(bucket, "d.json")["owner"]);
        Assert.True(_fixture.Emulator.Store.TryGetObject(bucket, "d.json", out var obj));
        Assert.Equal("application/json", obj.ContentType);
    }

    [Fact]
    public async Task Xattrs_set_on_a_file_before_its_first_upload_ride_with_the_upload()
    {
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "copied.csv", 0b110_100_100, OpenFlags.Write);
        await mount.Fs.WriteAsync(created.Value.Handle, 0, "a,b\n"u8.ToArray());
        var node = created.Value.Attributes.NodeId;
        Assert.Equal(VfsError.None, await SetAsync(mount, node, "user.octue.tags.site", "\"north\""));
        Assert.Equal(VfsError.None, await SetAsync(mount, node, "user.gcs.meta.origin", "cp"));
        Assert.Equal(VfsError.InvalidArgument, await SetAsync(mount, node, "user.octue.labels", "[\"Bad_Label\"]"));
        Assert.Equal("\"north\"", await GetAsync(mount, node, "user.octue.tags.site"));
        Assert.False(_fixture.Exists(bucket, "copied.csv"));

        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(created.Value.Handle));

        var metadata = _fixture.Metadata(bucket, "copied.csv");
        Assert.Equal("north", DatafileMetadata.FromObjectMetadata(metadata).Tags["site"]!.GetValue<string>());
        Assert.Equal("cp", metadata["origin"]);
        Assert.Equal("\"north\"", await GetAsync(mount, node, "user.octue.tags.site"));
    }

    [Fact]
    public async Task A_tag_set_through_the_file_system_is_seen_by_Datafile_FromCloudAsync()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Emulator.Store.PutObject(bucket, "sdk.json", "[1, 2, 3]"u8.ToArray(), NewFormat);
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("sdk.json");

        Assert.Equal(VfsError.None, await SetAsync(mount, file.NodeId, "user.octue.tags.turbine", "{\"id\": 7}"));

        var datafile = await Datafile.FromCloudAsync($"gs://{bucket}/sdk.json", new TransferOptions { Store = _fixture.Store });
        Assert.Equal(7, datafile.Tags["turbine"]!["id"]!.GetValue<int>());
        Assert.Equal("Vestas", datafile.Tags["manufacturer"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_dataset_directory_carries_its_octue_metadata_and_writes_rewrite_it()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "datasets/my-dataset/.octue",
            """{"dataset": {"id": "5eb88462-7295-4a8e-90de-82bdf3241903", "name": "my-dataset", "tags": {"location": 108346}, "labels": ["offshore"], "path": "gs://my-bucket/datasets/my-dataset"}}""");
        _fixture.Put(bucket, "datasets/my-dataset/file_0.txt", "0");
        _fixture.Put(bucket, "old/ds/dataset.json",
            """{"files": ["gs://b/old/ds/file_0.txt"], "hash_value": "3cce", "id": "5eb88462-7295-4a8e-90de-82bdf3241904", "name": "old-dataset", "tags": "['x', 'y:z']"}""");
        _fixture.Put(bucket, "plain/f", "f");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");

        var dataset = await mount.LookupPathAsync("datasets/my-dataset");
        Assert.Equal("5eb88462-7295-4a8e-90de-82bdf3241903", await GetAsync(mount, dataset.NodeId, "user.octue.id"));
        Assert.Equal("my-dataset", await GetAsync(mount, dataset.NodeId, "user.octue.name"));
        Assert.Equal("{\"location\": 108346}", await GetAsync(mount, dataset.NodeId, "user.octue.tags"));
        Assert.Equal("[\"offshore\"]", await GetAsync(mount, dataset.NodeId, "user.octue.labels"));

        var old = await mount.LookupPathAsync("old/ds");
        Assert.Equal("old-dataset", await GetAsync(mount, old.NodeId, "user.octue.name"));
        Assert.Contains("y:z", await GetAsync(mount, old.NodeId, "user.octue.labels"));

        Assert.Equal(VfsError.None, await SetAsync(mount, dataset.NodeId, "user.octue.tags.depth", "30"));
        var rewritten = Encoding.UTF8.GetString(_fixture.Bytes(bucket, "datasets/my-dataset/.octue"));
        var parsed = DatasetMetadata.Parse(rewritten, ".octue");
        Assert.Equal(30, parsed.Tags["depth"]!.GetValue<int>());
        Assert.Equal(108346, parsed.Tags["location"]!.GetValue<int>());
        Assert.Equal("5eb88462-7295-4a8e-90de-82bdf3241903", parsed.Id);
        Assert.Equal(VfsError.InvalidArgument, await SetAsync(mount, dataset.NodeId, "user.octue.tags.Bad", "1"));
        Assert.Equal(rewritten, Encoding.UTF8.GetString(_fixture.Bytes(bucket, "datasets/my-dataset/.octue")));

        var plain = await mount.LookupPathAsync("plain");
        Assert.Equal(VfsError.NoData, (await mount.Fs.GetXattrAsync(plain.NodeId, "user.octue.name")).Error);
        Assert.Equal(VfsError.None, await SetAsync(mount, plain.NodeId, "user.octue.labels", "[\"raw\"]"));
        var made = DatasetMetadata.Parse(Encoding.UTF8.GetString(_fixture.Bytes(bucket, "plain/.octue")), ".octue");
        Assert.Equal("plain", made.Name);
        Assert.Contains("raw", made.Labels);
    }

    // Tag names and metadata keys are chosen by whoever writes the bucket. A NUL ends a name in listxattr's list, so
    // these would list security.capability and trusted.x, names outside user. that tools copy with rsync -aX.
    private static readonly Dictionary<string, string> HostileNames = new()
    {
        ["octue__tags"] = "{\"x\\u0000security.capability\": 1, \"Bad-Name\": 2, \"line\\nbreak\": 3, \"good\": 4}",
        ["k\0trusted.x"] = "nul",
        ["cr\rlf\n"] = "breaks",
        ["bell\u0007"] = "control",
        [new string('k', 250)] = "too long",
        ["plain_key"] = "kept",
    };

    [Fact]
    public async Task Tag_names_and_metadata_keys_that_could_become_other_names_are_not_shown_and_are_logged_once()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Emulator.Store.PutObject(bucket, "hostile.bin", "x"u8.ToArray(), HostileNames);
        var logs = new CapturedLog();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", loggerFactory: logs);
        var file = await mount.LookupPathAsync("hostile.bin");

        for (var i = 0; i < 3; i++)
        {
            var names = (await mount.Fs.ListXattrAsync(file.NodeId)).Value;
            Assert.All(names, n => Assert.StartsWith("user.", n));
            Assert.All(names, n => Assert.DoesNotContain(n, c => char.IsControl(c) || char.IsSurrogate(c)));
            Assert.All(names, n => Assert.InRange(Encoding.UTF8.GetByteCount(n), 1, 255));
            Assert.DoesNotContain(names, n => n.Contains("security.") || n.Contains("trusted."));
            Assert.Contains("user.octue.tags.good", names);
            Assert.Contains("user.gcs.meta.plain_key", names);
            Assert.DoesNotContain("user.octue.tags.Bad-Name", names);
        }

        // The object's other tags still show, and the whole set stays readable (escaped) in user.octue.tags.
        Assert.Equal("4", await GetAsync(mount, file.NodeId, "user.octue.tags.good"));
        Assert.Contains("\"x\\u0000security.capability\": 1", await GetAsync(mount, file.NodeId, "user.octue.tags"));
        Assert.Equal("kept", await GetAsync(mount, file.NodeId, "user.gcs.meta.plain_key"));
        Assert.Equal(VfsError.NoData, (await mount.Fs.GetXattrAsync(file.NodeId, "user.octue.tags.Bad-Name")).Error);

        var warning = Assert.Single(logs.Warnings("not shown as extended attributes"));
        Assert.Contains($"gs://{bucket}/hostile.bin", warning);
        Assert.Contains("tag 'x\\u0000security.capability'", warning);
        Assert.Contains("metadata key 'cr\\u000dlf\\u000a'", warning);
        Assert.DoesNotContain('\0', warning);
        Assert.DoesNotContain('\n', warning);
    }

    public static TheoryData<string, string> HeaderBreakingValues() => new()
    {
        { "user.gcs.content_type", "text/plain\r\nX-Injected: 1" },
        { "user.gcs.content_type", "text/plain\0" },
        { "user.gcs.content_type", "text/\tplain" },
        { "user.gcs.meta.note", "line one\nline two" },
        { "user.gcs.meta.note", "bell\u0007" },
        { "user.gcs.meta.bad\u0001key", "value" },
        { "user.gcs.meta.bad\nkey", "value" },
        { "user.octue.id", "abc\r\nX-Injected: 1" },
    };

    [Theory]
    [MemberData(nameof(HeaderBreakingValues))]
    public async Task Values_and_keys_that_would_break_an_http_header_are_refused_with_einval_and_change_nothing(string name, string value)
    {
        var bucket = _fixture.NewBucket();
        _fixture.Emulator.Store.PutObject(bucket, "doc.txt", "text"u8.ToArray(), new Dictionary<string, string> { ["note"] = "before" }, "text/plain");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        var file = await mount.LookupPathAsync("doc.txt");
        Assert.True(_fixture.Emulator.Store.TryGetObject(bucket, "doc.txt", out var before));

        Assert.Equal(VfsError.InvalidArgument, await SetAsync(mount, file.NodeId, name, value));

        Assert.True(_fixture.Emulator.Store.TryGetObject(bucket, "doc.txt", out var after));
        Assert.Equal(before.Metageneration, after.Metageneration);
        Assert.Equal("text/plain", after.ContentType);
        Assert.Equal("text", Encoding.UTF8.GetString(await mount.ReadAllAsync("doc.txt")));
    }
}
