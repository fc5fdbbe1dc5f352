using Microsoft.Extensions.Logging;
using Octue.Mount.Cli.Mounting;
using Octue.Mount.Linux;
using Octue.Mount.Linux.Mounting;
using Octue.Mount.Vfs;

namespace Octue.Mount.Cli.Demo;

/// <summary>The demo on Linux: FUSE mounts on two folders under DIR, created if missing, owned by the caller.</summary>
internal sealed class FuseDemoPlatform : DemoPlatform
{
    public override uint Uid => UnixProcess.EffectiveUid;

    public override uint Gid => UnixProcess.EffectiveGid;

    public override void PrepareMountPoints(DemoLayout layout)
    {
        Directory.CreateDirectory(layout.BucketMount);
        Directory.CreateDirectory(layout.ManifestMount);
    }

    public override async Task<IDemoMount> MountAsync(IFileSystem fileSystem, FileSystemOptions options, string source, string mountPoint,
        ILoggerFactory loggerFactory, CancellationToken ct)
    {
        try
        {
            return new Mounted(await FuseMount.MountAsync(fileSystem, mountPoint, new FuseMountOptions { Source = source }, loggerFactory, ct));
        }
        catch (FuseMountException ex)
        {
            throw new MountFailedException(ex.Message, 1);
        }
    }

    public override string TryThis(DemoLayout layout) => $"""
        Try, in another terminal:
          ls -l {layout.BucketMount}/datasets/met-mast
          cat {layout.BucketMount}/datasets/met-mast/2024-01.csv
          getfattr -d -m - {layout.BucketMount}/datasets/met-mast/2024-01.csv
          getfattr -n user.octue.tags {layout.ManifestMount}/met_mast
          ls {layout.ManifestMount}/lidar
          setfattr -n user.octue.tags.site -v south-ridge {layout.BucketMount}/datasets/met-mast/2024-02.csv
          cp /etc/hostname {layout.BucketMount}/datasets/met-mast/ && ls -l {layout.BucketMount}/datasets/met-mast

        Press Ctrl-C to unmount and stop.
        """;

    private sealed class Mounted(FuseMount mount) : IDemoMount
    {
        public Task Completion => mount.Completion;

        public ValueTask DisposeAsync() => mount.DisposeAsync();
    }
}
