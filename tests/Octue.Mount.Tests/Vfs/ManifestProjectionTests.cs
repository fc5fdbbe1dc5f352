using System.Text;
using Octue.Mount.Emulator;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

public sealed class ManifestProjectionTests : IClassFixture<VfsFixture>
{
    private readonly VfsFixture _fixture;

    public ManifestProjectionTests(VfsFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task A_manifest_projects_its_datasets_from_two_buckets_and_a_files_list()
    {
        var first = _fixture.NewBucket("first");
        var second = _fixture.NewBucket("second");
        _fixture.Put(first, "datasets/ds-one/.octue",
            """{"dataset": {"id": "5eb88462-7295-4a8e-90de-82bdf3241903", "name": "ds-one", "tags": {"location": 1}, "labels": [], "path": "gs://x/datasets/ds-one"}}""");
        _fixture.Put(first, "datasets/ds-one/a.txt", "one-a");
        _fixture.Put(first, "datasets/ds-one/sub/b.txt", "one-b");
        _fixture.Put(second, "datasets/ds-two/c.txt", "two-c");
        _fixture.Put(first, "loose/x.txt", "listed-x");
        _fixture.Put(first, "loose/not-listed.txt", "not part of the dataset");
        _fixture.Put(second, "elsewhere/y.txt", "listed-y");
        var manifest = $$$"""
            {
                "datasets": {
                    "one": "gs://{{{first}}}/datasets/ds-one",
                    "two": "gs://{{{second}}}/datasets/ds-two",
                    "listed": {"files": ["gs://{{{first}}}/loose/x.txt", "https://storage.googleapis.com/{{{second}}}/elsewhere/y.txt", "gs://{{{first}}}/loose/missing.txt"], "id": "0a1b", "name": "listed", "labels": ["picked"], "tags": {"k": 1}, "path": "gs://{{{first}}}/loose"},
                    "local": "data/input/raw"
                },
                "id": "dab88335-d739-4899-8eec-13ffdb5921fd",
                "name": null
            }
            """;
        _fixture.Put(first, "runs/manifest.json", manifest);
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{first}/runs/manifest.json");

        Assert.Equal(new[] { "listed", "one", "two" }, (await mount.NamesAsync("")).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(new[] { ".octue", "a.txt", "sub" }, (await mount.NamesAsync("one")).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("one-b", Encoding.UTF8.GetString(await mount.ReadAllAsync("one/sub/b.txt")));
        Assert.Equal(new[] { "c.txt" }, await mount.NamesAsync("two"));
        Assert.Equal("two-c", Encoding.UTF8.GetString(await mount.ReadAllAsync("two/c.txt")));
        // A file under the dataset's path is at its place in it; one elsewhere under BUCKET/OBJECT.
        Assert.Equal(new[] { second, "x.txt" }.Order(StringComparer.Ordinal), (await mount.NamesAsync("listed")).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("listed-x", Encoding.UTF8.GetString(await mount.ReadAllAsync("listed/x.txt")));
        Assert.Equal("listed-y", Encoding.UTF8.GetString(await mount.ReadAllAsync($"listed/{second}/elsewhere/y.txt")));
        Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync((await mount.LookupPathAsync("listed")).NodeId, "not-listed.txt"));

        var one = await mount.LookupPathAsync("one");
        Assert.Equal("{\"location\": 1}", Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync(one.NodeId, "user.octue.tags")).Value));
        var listed = await mount.LookupPathAsync("listed");
        Assert.Equal("{\"k\": 1}", Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync(listed.NodeId, "user.octue.tags")).Value));
        Assert.Equal("[\"picked\"]", Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync(listed.NodeId, "user.octue.labels")).Value));

        // The datasets given by a path are writable like a bucket; the root and file lists are not.
        Assert.Equal(VfsError.None, await mount.WriteFileAsync(one.NodeId, "new.txt", "n"u8.ToArray()));
        Assert.True(_fixture.Exists(first, "datasets/ds-one/new.txt"));
        Assert.Equal(VfsError.AccessDenied, (await mount.Fs.CreateAsync(listed.NodeId, "z.txt", 0b110_100_100, OpenFlags.Write)).Error);
        Assert.Equal(VfsError.AccessDenied, (await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, "three", 0b111_101_101)).Error);
    }

    [Fact]
    public async Task A_dataset_given_by_path_whose_own_metadata_has_a_files_list_shows_exactly_those_files()
    {
        var bucket = _fixture.NewBucket("own");
        var other = _fixture.NewBucket("far");
        // New format: .octue with a files list, one file beside it and one in another bucket.
        _fixture.Put(bucket, "datasets/new/.octue", $$$"""
            {"dataset": {"id": "5eb88462-7295-4a8e-90de-82bdf3241903", "name": "new-ds", "tags": {"site": "north"}, "labels": ["picked"], "path": "gs://{{{bucket}}}/datasets/new", "files": ["gs://{{{bucket}}}/datasets/new/kept.txt", "gs://{{{other}}}/elsewhere/far.txt"]}}
            """);
        _fixture.Put(bucket, "datasets/new/kept.txt", "kept");
        _fixture.Put(bucket, "datasets/new/extra.txt", "not in the list");
        _fixture.Put(other, "elsewhere/far.txt", "far away");
        // Old format, both names the SDK used: the list may point outside the dataset's prefix.
        _fixture.Put(bucket, "datasets/old/dataset.json", $$$"""
            {"files": ["gs://{{{bucket}}}/outputs/file_0.txt", "gs://{{{bucket}}}/datasets/old/file_1.txt"], "hash_value": "3cce", "id": "0b4c7a47-7c4f-4b0e-9d3d-0e7c4f6a5b21", "name": "old-ds", "tags": "['x', 'y:z']"}
            """);
        _fixture.Put(bucket, "outputs/file_0.txt", "zero");
        _fixture.Put(bucket, "datasets/old/file_1.txt", "one");
        _fixture.Put(bucket, "datasets/old/stray.txt", "not in the list");
        _fixture.Put(bucket, "datasets/older/dataset_metadata.json", $$$"""
            {"files": ["gs://{{{bucket}}}/datasets/older/only.txt"], "id": "1c5d8b58-8d50-4c1f-8e4e-1f8d507b6c32", "name": "older-ds", "tags": "[]"}
            """);
        _fixture.Put(bucket, "datasets/older/only.txt", "only");
        _fixture.Put(bucket, "datasets/older/stray.txt", "not in the list");
        // No files list: the prefix, as before.
        _fixture.Put(bucket, "datasets/plain/.octue", """{"dataset": {"id": "2d6e9c69-9e61-4d20-9f5f-2a9e618c7d43", "name": "plain", "tags": {}, "labels": []}}""");
        _fixture.Put(bucket, "datasets/plain/p.txt", "p");
        _fixture.Put(bucket, "manifest.json", $$$"""
            {"datasets": {"new": "gs://{{{bucket}}}/datasets/new", "old": "gs://{{{bucket}}}/datasets/old", "older": "gs://{{{bucket}}}/datasets/older", "plain": "gs://{{{bucket}}}/datasets/plain"}, "id": "dab88335-d739-4899-8eec-13ffdb5921fd", "name": null}
            """);

        await using (var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}/manifest.json"))
        {
            Assert.Equal(new[] { other, "kept.txt" }.Order(StringComparer.Ordinal), (await mount.NamesAsync("new")).Order(StringComparer.Ordinal));
            Assert.Equal("far away", Encoding.UTF8.GetString(await mount.ReadAllAsync($"new/{other}/elsewhere/far.txt")));
            Assert.Equal("kept", Encoding.UTF8.GetString(await mount.ReadAllAsync("new/kept.txt")));
            var dataset = await mount.LookupPathAsync("new");
            Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(dataset.NodeId, "extra.txt"));
            Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(dataset.NodeId, ".octue"));
            Assert.Equal("{\"site\": \"north\"}", Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync(dataset.NodeId, "user.octue.tags")).Value));
            Assert.Equal("new-ds", Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync(dataset.NodeId, "user.octue.name")).Value));
            Assert.Equal("5eb88462-7295-4a8e-90de-82bdf3241903", Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync(dataset.NodeId, "user.octue.id")).Value));

            Assert.Equal(new[] { bucket, "file_1.txt" }.Order(StringComparer.Ordinal), (await mount.NamesAsync("old")).Order(StringComparer.Ordinal));
            Assert.Equal("zero", Encoding.UTF8.GetString(await mount.ReadAllAsync($"old/{bucket}/outputs/file_0.txt")));
            Assert.Equal("old-ds", Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync((await mount.LookupPathAsync("old")).NodeId, "user.octue.name")).Value));
            Assert.Equal(new[] { "only.txt" }, await mount.NamesAsync("older"));
            Assert.Equal(new[] { ".octue", "p.txt" }, (await mount.NamesAsync("plain")).Order(StringComparer.Ordinal));
        }

        // A bucket mount shows the bucket's objects: the prefix listing, whatever a files list says.
        await using var bucketMount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}");
        Assert.Equal(new[] { ".octue", "extra.txt", "kept.txt" }, (await bucketMount.NamesAsync("datasets/new")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_old_format_manifest_projects_its_datasets()
    {
        var bucket = _fixture.NewBucket("old");
        _fixture.Put(bucket, "outputs/my-dataset/file_0.txt", "zero");
        _fixture.Put(bucket, "manifest.json",
            $$$"""{"datasets": ["gs://{{{bucket}}}/outputs/my-dataset"], "hash_value": "67df", "id": "dab88335-d739-4899-8eec-13ffdb5921fd", "keys": {"my-dataset": 0}}""");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}/manifest.json");
        Assert.Equal(new[] { "my-dataset" }, await mount.NamesAsync(""));
        Assert.Equal("zero", Encoding.UTF8.GetString(await mount.ReadAllAsync("my-dataset/file_0.txt")));
    }

    [Fact]
    public async Task A_files_list_shows_each_file_at_its_path_in_the_dataset_and_loses_none()
    {
        var bucket = _fixture.NewBucket("paths");
        var other = _fixture.NewBucket("other");
        _fixture.Put(bucket, "ds/x.txt", "top x");
        _fixture.Put(bucket, "ds/z/w.txt", "z w");
        _fixture.Put(bucket, "ds/z/x.txt", "z x");
        _fixture.Put(bucket, "ds/z/deeper/v.txt", "deep v");
        _fixture.Put(bucket, "elsewhere/x.txt", "same bucket, outside");
        _fixture.Put(other, "far/x.txt", "other bucket");
        // An object and a folder of one name: the folder wins, as in a bucket (docs/naming.md), and the object is logged.
        _fixture.Put(bucket, "ds/both", "hidden by the folder");
        _fixture.Put(bucket, "ds/both/inner.txt", "inner");
        var files = new[]
        {
            $"gs://{bucket}/ds/x.txt", $"gs://{bucket}/ds/z/w.txt", $"gs://{bucket}/ds/z/x.txt", $"gs://{bucket}/ds/z/deeper/v.txt",
            $"gs://{bucket}/elsewhere/x.txt", $"gs://{other}/far/x.txt", $"gs://{bucket}/ds/both", $"gs://{bucket}/ds/both/inner.txt",
            $"gs://{bucket}/ds/x.txt",
        };
        var list = string.Join(", ", files.Select(f => $"\"{f}\""));
        _fixture.Put(bucket, "inline.json", $$$"""{"datasets": {"inline": {"files": [{{{list}}}], "path": "gs://{{{bucket}}}/ds", "name": "inline"}}, "id": "dab88335-d739-4899-8eec-13ffdb5921fd", "name": null}""");
        // The same list in a dataset's own .octue, with the dataset given by its path.
        _fixture.Put(bucket, "ds/.octue", $$$"""{"dataset": {"id": "5eb88462-7295-4a8e-90de-82bdf3241903", "name": "own", "tags": {}, "labels": [], "files": [{{{list}}}]}}""");
        _fixture.Put(bucket, "own.json", $$$"""{"datasets": {"own": "gs://{{{bucket}}}/ds"}, "id": "dab88335-d739-4899-8eec-13ffdb5921fd", "name": null}""");

        foreach (var (manifest, key) in new[] { ("inline.json", "inline"), ("own.json", "own") })
        {
            var log = new CapturedLog();
            await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}/{manifest}", loggerFactory: log);
            Assert.Equal(new[] { bucket, "both", other, "x.txt", "z" }.Order(StringComparer.Ordinal), (await mount.NamesAsync(key)).Order(StringComparer.Ordinal));
            Assert.Equal(new[] { "deeper", "w.txt", "x.txt" }, (await mount.NamesAsync($"{key}/z")).Order(StringComparer.Ordinal));
            Assert.Equal("top x", Encoding.UTF8.GetString(await mount.ReadAllAsync($"{key}/x.txt")));
            Assert.Equal("z w", Encoding.UTF8.GetString(await mount.ReadAllAsync($"{key}/z/w.txt")));
            Assert.Equal("z x", Encoding.UTF8.GetString(await mount.ReadAllAsync($"{key}/z/x.txt")));
            Assert.Equal("deep v", Encoding.UTF8.GetString(await mount.ReadAllAsync($"{key}/z/deeper/v.txt")));
            Assert.Equal("same bucket, outside", Encoding.UTF8.GetString(await mount.ReadAllAsync($"{key}/{bucket}/elsewhere/x.txt")));
            Assert.Equal("other bucket", Encoding.UTF8.GetString(await mount.ReadAllAsync($"{key}/{other}/far/x.txt")));
            Assert.Equal(new[] { "inner.txt" }, await mount.NamesAsync($"{key}/both"));
            Assert.Equal("inner", Encoding.UTF8.GetString(await mount.ReadAllAsync($"{key}/both/inner.txt")));
            Assert.Single(log.Warnings($"gs://{bucket}/ds/both of dataset"));
            // Folders of a files list are read-only projections too, and carry no dataset xattrs of their own.
            var z = await mount.LookupPathAsync($"{key}/z");
            Assert.Equal(VfsError.AccessDenied, (await mount.Fs.CreateAsync(z.NodeId, "new.txt", 0b110_100_100, OpenFlags.Write)).Error);
            Assert.Equal(VfsError.NoData, (await mount.Fs.GetXattrAsync(z.NodeId, "user.octue.name")).Error);
            Assert.Equal(key, Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync((await mount.LookupPathAsync(key)).NodeId, "user.octue.name")).Value));
        }
    }

    [Fact]
    public async Task A_manifest_of_thousands_of_datasets_mounts_and_lists_without_reading_them()
    {
        const int count = 3000;
        var bucket = _fixture.NewBucket("many");
        _fixture.Put(bucket, "data/ds-01234/.octue", """{"dataset": {"id": "5eb88462-7295-4a8e-90de-82bdf3241903", "name": "picked", "tags": {"n": 1234}, "labels": []}}""");
        _fixture.Put(bucket, "data/ds-01234/f.txt", "f");
        _fixture.Put(bucket, "data/ds-00007/g.txt", "g");
        var datasets = string.Join(", ", Enumerable.Range(0, count).Select(i => $"\"ds-{i:D5}\": \"gs://{bucket}/data/ds-{i:D5}\""));
        _fixture.Put(bucket, "many.json", $$"""{"datasets": {{{datasets}}}, "id": "dab88335-d739-4899-8eec-13ffdb5921fd", "name": null}""");
        _fixture.Put(bucket, "one.json", $$"""{"datasets": {"ds-00000": "gs://{{bucket}}/data/ds-00000"}, "id": "dab88335-d739-4899-8eec-13ffdb5921fd", "name": null}""");
        var requests = _fixture.Emulator.Requests;

        var before = requests.Total;
        await using (var one = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}/one.json"))
        {
        }

        var oneDataset = requests.Total - before;
        before = requests.Total;
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}/many.json");
        Assert.Equal(oneDataset, requests.Total - before);

        // ls of the root: the manifest alone answers it, however many datasets it names.
        before = requests.Total;
        var names = await mount.NamesAsync("");
        Assert.Equal(count, names.Count);
        Assert.Contains("ds-02999", names);
        Assert.Equal(before, requests.Total);

        // A dataset is read when its folder is first looked into, and only that dataset.
        Assert.Equal(new[] { ".octue", "f.txt" }, (await mount.NamesAsync("ds-01234")).Order(StringComparer.Ordinal));
        var firstLook = requests.Total - before;
        Assert.InRange(firstLook, 1, 8);
        var picked = await mount.LookupPathAsync("ds-01234");
        Assert.Equal("{\"n\": 1234}", Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync(picked.NodeId, "user.octue.tags")).Value));
        Assert.Equal("g", Encoding.UTF8.GetString(await mount.ReadAllAsync("ds-00007/g.txt")));

        // Looked at again (its listing past its TTL): the dataset is not read again, only listed.
        var statsBefore = requests.Count(RequestKind.GetObject);
        var listsBefore = requests.Count(RequestKind.ListObjects);
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        Assert.Equal(new[] { ".octue", "f.txt" }, (await mount.NamesAsync("ds-01234")).Order(StringComparer.Ordinal));
        Assert.Equal(statsBefore, requests.Count(RequestKind.GetObject));
        Assert.Equal(listsBefore + 1, requests.Count(RequestKind.ListObjects));
    }

    [Fact]
    public async Task A_dataset_in_a_bucket_that_does_not_exist_is_an_empty_folder_that_takes_no_writes_and_spoils_nothing_else()
    {
        var bucket = _fixture.NewBucket("present");
        _fixture.Put(bucket, "good/a.txt", "a");
        _fixture.Put(bucket, "bad/.octue", "{not json");
        _fixture.Put(bucket, "bad/b.txt", "b");
        _fixture.Put(bucket, "manifest.json", $$$"""
            {"datasets": {"gone": "gs://no-such-bucket-{{{bucket}}}/data/ds", "good": "gs://{{{bucket}}}/good", "bad": "gs://{{{bucket}}}/bad", "listed": {"files": ["gs://no-such-bucket-{{{bucket}}}/x.txt", "gs://{{{bucket}}}/good/a.txt"]}}, "id": "dab88335-d739-4899-8eec-13ffdb5921fd", "name": null}
            """);
        var log = new CapturedLog();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}/manifest.json", loggerFactory: log);

        Assert.Equal(new[] { "bad", "gone", "good", "listed" }, (await mount.NamesAsync("")).Order(StringComparer.Ordinal));
        // One answer everywhere: a directory, empty, that accepts nothing (nothing staged).
        for (var round = 0; round < 2; round++)
        {
            var gone = await mount.LookupPathAsync("gone");
            Assert.Equal(NodeKind.Directory, gone.Kind);
            Assert.Equal(NodeKind.Directory, (await mount.Fs.GetAttributesAsync(gone.NodeId)).Value.Kind);
            Assert.Empty(await mount.NamesAsync("gone"));
            Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(gone.NodeId, "anything.txt"));
            Assert.Equal(VfsError.AccessDenied, (await mount.Fs.CreateAsync(gone.NodeId, "new.txt", 0b110_100_100, OpenFlags.Write)).Error);
            Assert.Equal(VfsError.AccessDenied, (await mount.Fs.MakeDirectoryAsync(gone.NodeId, "sub", 0b111_101_101)).Error);
            await Task.Delay(TimeSpan.FromSeconds(1.1));
        }

        Assert.False(Directory.Exists(Path.Combine(mount.CacheDirectory, "staging")) && Directory.EnumerateFileSystemEntries(Path.Combine(mount.CacheDirectory, "staging")).Any());
        Assert.Single(log.Warnings("Dataset 'gone'"));
        Assert.Contains("does not exist", log.Warnings("Dataset 'gone'")[0]);

        // The others are untouched: a bad metadata file shows the whole prefix (logged once), a listed file in the
        // missing bucket is a missing file (logged once).
        Assert.Equal("a", Encoding.UTF8.GetString(await mount.ReadAllAsync("good/a.txt")));
        Assert.Equal(new[] { ".octue", "b.txt" }, (await mount.NamesAsync("bad")).Order(StringComparer.Ordinal));
        Assert.Equal(new[] { $"no-such-bucket-{bucket}", bucket }.Order(StringComparer.Ordinal), (await mount.NamesAsync("listed")).Order(StringComparer.Ordinal));
        Assert.Empty(await mount.NamesAsync($"listed/no-such-bucket-{bucket}"));
        Assert.Equal("a", Encoding.UTF8.GetString(await mount.ReadAllAsync($"listed/{bucket}/good/a.txt")));
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        Assert.Equal(new[] { ".octue", "b.txt" }, (await mount.NamesAsync("bad")).Order(StringComparer.Ordinal));
        Assert.Empty(await mount.NamesAsync($"listed/no-such-bucket-{bucket}"));
        Assert.Single(log.Warnings($"gs://{bucket}/bad/.octue"));
        Assert.Single(log.Warnings($"gs://no-such-bucket-{bucket}/x.txt"));
    }

    [Fact]
    public async Task A_dataset_that_fails_to_be_read_for_a_passing_reason_is_read_again_on_its_next_use()
    {
        var bucket = _fixture.NewBucket("flaky");
        _fixture.Put(bucket, "data/ds/.octue", """{"dataset": {"id": "5eb88462-7295-4a8e-90de-82bdf3241903", "name": "flaky", "tags": {"try": 2}, "labels": []}}""");
        _fixture.Put(bucket, "data/ds/a.txt", "a");
        _fixture.Put(bucket, "manifest.json", $$"""{"datasets": {"ds": "gs://{{bucket}}/data/ds"}, "id": "dab88335-d739-4899-8eec-13ffdb5921fd", "name": null}""");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}/manifest.json");
        // Every attempt (the first and the client's retries) to look at the metadata file fails with 503.
        await AssertLookupFailsForAPassingReasonAsync(mount, "ds",
            new FaultRule { Kind = FaultKind.Status, StatusCode = 503, Bucket = bucket, ObjectName = "data/ds/.octue", RequestKind = RequestKind.GetObject, Times = 3 });

        // Not remembered: the next look reads the dataset, and it is what its metadata says.
        Assert.Equal(new[] { ".octue", "a.txt" }, (await mount.NamesAsync("ds")).Order(StringComparer.Ordinal));
        var ds = await mount.LookupPathAsync("ds");
        Assert.Equal("{\"try\": 2}", Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync(ds.NodeId, "user.octue.tags")).Value));
    }

    [Fact]
    public async Task A_bucket_that_cannot_be_checked_for_a_passing_reason_is_checked_again_on_the_datasets_next_use()
    {
        var bucket = _fixture.NewBucket("check");
        // No metadata file: the dataset is its prefix, once its bucket is known to exist.
        _fixture.Put(bucket, "data/plain/a.txt", "a");
        _fixture.Put(bucket, "manifest.json", $$"""{"datasets": {"ds": "gs://{{bucket}}/data/plain"}, "id": "dab88335-d739-4899-8eec-13ffdb5921fd", "name": null}""");
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}/manifest.json");
        // Every attempt (the first and the client's retries) to list the bucket, which is how it is checked, fails with 503.
        await AssertLookupFailsForAPassingReasonAsync(mount, "ds",
            new FaultRule { Kind = FaultKind.Status, StatusCode = 503, Bucket = bucket, RequestKind = RequestKind.ListObjects, Times = 10 });

        // Not remembered: the next use checks the bucket again, and the dataset shows its prefix.
        Assert.Equal(new[] { "a.txt" }, await mount.NamesAsync("ds"));
    }

    /// <summary>Looks up <paramref name="name"/> at the root while <paramref name="fault"/> holds: it fails, and not as "no such name".</summary>
    private async Task AssertLookupFailsForAPassingReasonAsync(MountedBucket mount, string name, FaultRule fault)
    {
        _fixture.Emulator.Faults.Add(fault);
        try
        {
            var failed = await mount.Fs.LookupAsync(IFileSystem.RootId, name);
            Assert.False(failed.IsOk);
            Assert.NotEqual(VfsError.NotFound, failed.Error);
        }
        finally
        {
            _fixture.Emulator.Faults.Clear();
        }
    }
}
