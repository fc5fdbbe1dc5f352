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
