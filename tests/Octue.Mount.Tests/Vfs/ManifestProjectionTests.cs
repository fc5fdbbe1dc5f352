using System.Text;
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
                    "listed": {"files": ["gs://{{{first}}}/loose/x.txt", "https://storage.googleapis.com/{{{second}}}/elsewhere/y.txt", "gs://{{{first}}}/loose/missing.txt"], "id": "0a1b", "name": "listed", "labels": ["picked"], "tags": {"k": 1}},
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
        Assert.Equal(new[] { "x.txt", "y.txt" }, (await mount.NamesAsync("listed")).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("listed-y", Encoding.UTF8.GetString(await mount.ReadAllAsync("listed/y.txt")));
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
            Assert.Equal(new[] { "far.txt", "kept.txt" }, (await mount.NamesAsync("new")).Order(StringComparer.Ordinal));
            Assert.Equal("far away", Encoding.UTF8.GetString(await mount.ReadAllAsync("new/far.txt")));
            Assert.Equal("kept", Encoding.UTF8.GetString(await mount.ReadAllAsync("new/kept.txt")));
            var dataset = await mount.LookupPathAsync("new");
            Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(dataset.NodeId, "extra.txt"));
            Assert.Equal(VfsError.NotFound, await mount.TryLookupAsync(dataset.NodeId, ".octue"));
            Assert.Equal("{\"site\": \"north\"}", Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync(dataset.NodeId, "user.octue.tags")).Value));
            Assert.Equal("new-ds", Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync(dataset.NodeId, "user.octue.name")).Value));
            Assert.Equal("5eb88462-7295-4a8e-90de-82bdf3241903", Encoding.UTF8.GetString((await mount.Fs.GetXattrAsync(dataset.NodeId, "user.octue.id")).Value));

            Assert.Equal(new[] { "file_0.txt", "file_1.txt" }, (await mount.NamesAsync("old")).Order(StringComparer.Ordinal));
            Assert.Equal("zero", Encoding.UTF8.GetString(await mount.ReadAllAsync("old/file_0.txt")));
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
}
