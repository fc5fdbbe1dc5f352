using Octue.Mount.Caching;

namespace Octue.Mount.Tests.Caching;

public sealed class StagingAreaTests : IDisposable
{
    private readonly string _cache = Directory.CreateTempSubdirectory("octue-staging-test-").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a//b/./c")]
    [InlineData("/absolute/name")]
    [InlineData("C:\\windows\\name")]
    public async Task Conflict_copies_stay_inside_the_conflicts_folder_whatever_the_object_name(string objectName)
    {
        var area = new StagingArea(_cache);
        var staged = await area.CreateAsync("bucket-1", objectName, 7, null, new Dictionary<string, string>(), CancellationToken.None);
        await staged.WriteAsync(0, "bytes"u8.ToArray(), CancellationToken.None);

        var kept = area.KeepConflict(staged, "test");

        var folder = Path.GetFullPath(Path.Combine(_cache, "conflicts", "bucket-1")) + Path.DirectorySeparatorChar;
        Assert.StartsWith(folder, Path.GetFullPath(kept));
        Assert.Equal("bytes", File.ReadAllText(kept));
        Assert.True(File.Exists(kept + ".json"));
        Assert.Empty(Directory.EnumerateFiles(area.StagingDirectory, "*.json"));
    }

    [Fact]
    public async Task The_sidecar_is_on_disk_before_the_first_byte_and_records_the_base_generation()
    {
        var area = new StagingArea(_cache);
        using var staged = await area.CreateAsync("bucket-1", "a/b.txt", 42, "text/plain", new Dictionary<string, string> { ["k"] = "v" }, CancellationToken.None);
        var sidecar = StagingSidecar.TryRead(staged.SidecarPath);
        Assert.NotNull(sidecar);
        Assert.Equal("a/b.txt", sidecar.ObjectName);
        Assert.Equal(42, sidecar.BaseGeneration);
        Assert.Equal("v", sidecar.Metadata["k"]);
        // A copy of an existing object has nothing to upload until its first change is recorded, before that
        // change's first byte; a new object's copy is an upload from the start.
        Assert.True(sidecar.Clean);
        await staged.MarkBytesChangedAsync(CancellationToken.None);
        Assert.False(StagingSidecar.TryRead(staged.SidecarPath)!.Clean);
        using (var created = await area.CreateAsync("bucket-1", "a/new.txt", 0, null, new Dictionary<string, string>(), CancellationToken.None))
        {
            Assert.False(StagingSidecar.TryRead(created.SidecarPath)!.Clean);
        }

        Assert.Equal(2, area.FindLeftovers().Count);
        Assert.True(StagingArea.IsInUse(staged.DataPath));
        staged.Dispose();
        Assert.False(StagingArea.IsInUse(staged.DataPath));
    }
}
