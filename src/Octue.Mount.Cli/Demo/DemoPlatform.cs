using Microsoft.Extensions.Logging;
using Octue.Mount.Vfs;

namespace Octue.Mount.Cli.Demo;

/// <summary>One of the demo's mounts while it is mounted; disposing it unmounts.</summary>
internal interface IDemoMount : IAsyncDisposable
{
    /// <summary>Completes if the mount goes away on its own (unmounted from outside); never, where that cannot happen.</summary>
    Task Completion { get; }
}

/// <summary>
/// What differs between the demo on Linux (FUSE) and on Windows (WinFsp): how mount points are prepared, how a file
/// system is mounted, the owner of its files, and what to try with it. Everything else — the emulator, the sample
/// data, the file systems, stopping — is the demo's own and shared.
/// </summary>
internal abstract class DemoPlatform
{
    /// <summary>The one place the demo chooses its platform; null where it cannot mount.</summary>
    public static DemoPlatform? ForThisMachine() =>
        OperatingSystem.IsLinux() ? new FuseDemoPlatform()
        : OperatingSystem.IsWindows() ? new WinFspDemoPlatform()
        : null;

    /// <summary>POSIX owner of objects without stored attributes.</summary>
    public abstract uint Uid { get; }

    public abstract uint Gid { get; }

    /// <summary>Makes the mount points usable; throws <see cref="Mounting.MountFailedException"/> when they are not.</summary>
    public abstract void PrepareMountPoints(DemoLayout layout);

    /// <summary>Mounts <paramref name="fileSystem"/>; throws <see cref="Mounting.MountFailedException"/> with a message for the user.</summary>
    public abstract Task<IDemoMount> MountAsync(IFileSystem fileSystem, FileSystemOptions options, string source, string mountPoint,
        ILoggerFactory loggerFactory, CancellationToken ct);

    /// <summary>The commands to try, for this platform's shell, ending with how to stop.</summary>
    public abstract string TryThis(DemoLayout layout);
}
