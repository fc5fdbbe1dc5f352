using Microsoft.Extensions.Logging;
using Octue.Mount.Vfs;

namespace Octue.Mount.Windows;

/// <summary>How <see cref="WinFspHost.Mount"/> presents the file system to Windows.</summary>
public sealed record WinFspMountOptions
{
    /// <summary>The label Explorer shows (at most 32 characters; longer labels are cut).</summary>
    public string VolumeLabel { get; init; } = "octue";

    /// <summary>Mount read-only (the volume's ReadOnlyVolume flag; Windows refuses writes before they reach the VFS).</summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// How long Windows may cache file information, listings and EAs (FSP_FSCTL_VOLUME_PARAMS.FileInfoTimeout).
    /// Defaults to the VFS's metadata TTL (1 s) so Windows never serves older metadata than the VFS would.
    /// </summary>
    public TimeSpan FileInfoTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// WinFsp dispatcher threads (0 lets WinFsp choose: one per processor, at least 2). Metadata operations hold a
    /// dispatcher thread while GCS answers, so the default is more than WinFsp's: twice the processors, at least 8.
    /// </summary>
    public uint DispatcherThreads { get; init; } = (uint)Math.Max(8, 2 * Environment.ProcessorCount);

    /// <summary>POSIX permission bits for files created from Windows (0644).</summary>
    public uint FileMode { get; init; } = 0x1A4;

    /// <summary>POSIX permission bits for directories created from Windows (0755).</summary>
    public uint DirectoryMode { get; init; } = 0x1ED;

    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// The mount options that match a VFS: the same read-only setting, permission bits, and a FileInfo timeout equal
    /// to the metadata TTL; the label is the bucket (or project) name.
    /// </summary>
    public static WinFspMountOptions For(FileSystemOptions fileSystem, ILoggerFactory? loggerFactory = null) => new()
    {
        VolumeLabel = fileSystem.Source.Bucket ?? fileSystem.Source.Project ?? "octue",
        ReadOnly = fileSystem.ReadOnly,
        FileInfoTimeout = fileSystem.MetadataTtl,
        FileMode = fileSystem.FileMode,
        DirectoryMode = fileSystem.DirectoryMode,
        LoggerFactory = loggerFactory,
    };
}
