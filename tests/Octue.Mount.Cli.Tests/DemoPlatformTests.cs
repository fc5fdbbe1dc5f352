using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Octue.Mount.Cli.Demo;
using Octue.Mount.Cli.Mounting;
using Octue.Mount.Linux.Tests.Mounts;
using Octue.Mount.Vfs;

namespace Octue.Mount.Cli.Tests;

/// <summary>The platform-neutral parts of the demo's per-platform choices, the Windows ones included.</summary>
public sealed class DemoPlatformTests
{
    [Fact]
    public void The_demo_mounts_the_bucket_and_the_manifest_in_two_folders_under_DIR()
    {
        var layout = DemoLayout.Under(Path.Combine("/tmp", "demo"));
        Assert.Equal(Path.Combine("/tmp", "demo", "bucket"), layout.BucketMount);
        Assert.Equal(Path.Combine("/tmp", "demo", "manifest"), layout.ManifestMount);
    }

    [Fact]
    public void On_Linux_the_demo_mounts_with_FUSE()
    {
        Assert.IsType<FuseDemoPlatform>(DemoPlatform.ForThisMachine());
    }

    [Fact]
    public void On_Windows_DIR_is_created_and_the_mount_points_are_left_for_WinFsp_to_create()
    {
        using var temp = new TempDirectory();
        var layout = DemoLayout.Under(temp.Combine("demo"));
        new WinFspDemoPlatform().PrepareMountPoints(layout);
        Assert.True(Directory.Exists(layout.Root));
        Assert.False(Directory.Exists(layout.BucketMount));
        Assert.False(Directory.Exists(layout.ManifestMount));

        // Empty folders left by an earlier run are removed; a folder with something in it is never touched.
        Directory.CreateDirectory(layout.BucketMount);
        Directory.CreateDirectory(layout.ManifestMount);
        new WinFspDemoPlatform().PrepareMountPoints(layout);
        Assert.False(Directory.Exists(layout.BucketMount));
        Assert.False(Directory.Exists(layout.ManifestMount));

        Directory.CreateDirectory(layout.ManifestMount);
        File.WriteAllText(Path.Combine(layout.ManifestMount, "mine.txt"), "keep me");
        var refused = Assert.Throws<MountFailedException>(() => new WinFspDemoPlatform().PrepareMountPoints(layout));
        Assert.Contains(layout.ManifestMount, refused.Message);
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(layout.ManifestMount, "mine.txt")));
    }

    [Fact]
    public void The_Windows_demo_suggests_Windows_commands_on_both_mounts()
    {
        // Built by hand: Path.Combine on this Linux test machine would join with '/'.
        var layout = new DemoLayout(@"C:\Users\me\octue-demo", @"C:\Users\me\octue-demo\bucket", @"C:\Users\me\octue-demo\manifest");
        string text = new WinFspDemoPlatform().TryThis(layout);
        Assert.Contains(@"dir C:\Users\me\octue-demo\bucket\datasets\met-mast", text);
        Assert.Contains(@"type C:\Users\me\octue-demo\bucket\datasets\met-mast\2024-01.csv", text);
        Assert.Contains(@"fsutil file queryEA C:\Users\me\octue-demo\manifest\met_mast", text);
        Assert.DoesNotContain("getfattr", text);
        Assert.EndsWith("Press Ctrl+C to unmount and stop.", text);
    }

    [Fact]
    public async Task A_WinFsp_mount_that_cannot_happen_is_reported_not_thrown_raw()
    {
        // Off Windows, WinFspHost refuses (PlatformNotSupportedException): the demo turns that into its message.
        var failed = await Assert.ThrowsAsync<MountFailedException>(() => new WinFspDemoPlatform().MountAsync(
            DispatchProxy.Create<IFileSystem, UnusedFileSystem>(), new FileSystemOptions { Source = MountSource.Parse("gs://demo-bucket", null), CacheDirectory = "/nonexistent" },
            "gs://demo-bucket", "/tmp/x", NullLoggerFactory.Instance, CancellationToken.None));
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("cannot mount gs://demo-bucket at /tmp/x", failed.Message);
    }

    /// <summary>A file system the refused mount must never call.</summary>
    public class UnusedFileSystem : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            throw new InvalidOperationException($"the file system was used ({targetMethod?.Name})");
    }
}
