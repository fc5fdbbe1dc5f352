using Microsoft.Extensions.Logging;
using Octue.Mount.Cli.Mounting;
using Octue.Mount.Vfs;
using Octue.Mount.Windows;
using Octue.Mount.Windows.Native;

namespace Octue.Mount.Cli.Demo;

/// <summary>
/// The demo on Windows: WinFsp mounts on two folders under DIR, through the same <see cref="WinFspHost"/> the mount
/// command uses. WinFsp creates a folder mount point itself (as a reparse point) and refuses one that exists, so
/// DIR is created but the two mount points are not; an empty folder left by an earlier run is removed first.
/// </summary>
internal sealed class WinFspDemoPlatform : DemoPlatform
{
    // Windows has no POSIX ids; new objects get 0, as a Windows mount does.
    public override uint Uid => 0;

    public override uint Gid => 0;

    public override void PrepareMountPoints(DemoLayout layout)
    {
        Directory.CreateDirectory(layout.Root);
        foreach (string mountPoint in new[] { layout.BucketMount, layout.ManifestMount })
        {
            if (File.Exists(mountPoint))
                throw new MountFailedException($"{mountPoint} is a file; WinFsp needs that name free for its mount point. Remove it or choose another DIR.", 1);
            if (!Directory.Exists(mountPoint))
                continue;
            if (Directory.EnumerateFileSystemEntries(mountPoint).Any())
                throw new MountFailedException($"{mountPoint} exists and is not empty; WinFsp mounts on a folder it creates. Remove it or choose another DIR.", 1);
            Directory.Delete(mountPoint);
        }
    }

    public override Task<IDemoMount> MountAsync(IFileSystem fileSystem, FileSystemOptions options, string source, string mountPoint,
        ILoggerFactory loggerFactory, CancellationToken ct)
    {
        try
        {
            WinFspHost host = WinFspHost.Mount(fileSystem, mountPoint, WinFspMountOptions.For(options, loggerFactory));
            return Task.FromResult<IDemoMount>(new Mounted(host));
        }
        catch (WinFspNotInstalledException ex)
        {
            throw new MountFailedException(ex.Message, 2);
        }
        catch (Exception ex) when (ex is IOException or PlatformNotSupportedException)
        {
            throw new MountFailedException($"cannot mount {source} at {mountPoint}: {ex.Message}", 1);
        }
    }

    public override string TryThis(DemoLayout layout) => $"""
        Try, in another window (cmd or PowerShell):
          dir {layout.BucketMount}\datasets\met-mast
          type {layout.BucketMount}\datasets\met-mast\2024-01.csv
          fsutil file queryEA {layout.BucketMount}\datasets\met-mast\2024-01.csv
          fsutil file queryEA {layout.ManifestMount}\met_mast
          dir {layout.ManifestMount}\lidar
          echo hello > {layout.BucketMount}\datasets\met-mast\hello.txt

        Press Ctrl+C to unmount and stop.
        """;

    /// <summary>A WinFsp mount ends only when its process unmounts it, so it never completes on its own.</summary>
    private sealed class Mounted(WinFspHost host) : IDemoMount
    {
        public Task Completion { get; } = new TaskCompletionSource().Task;

        public ValueTask DisposeAsync() => host.DisposeAsync();
    }
}
