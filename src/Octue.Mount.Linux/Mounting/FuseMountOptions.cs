namespace Octue.Mount.Linux.Mounting;

/// <summary>How a file system is mounted through FUSE.</summary>
public sealed record FuseMountOptions
{
    /// <summary>Shown as the mount's source in /proc/mounts and df, e.g. <c>gs://bucket</c>.</summary>
    public string Source { get; init; } = "octue-mount";

    /// <summary>The mount type is <c>fuse.&lt;Subtype&gt;</c>.</summary>
    public string Subtype { get; init; } = "octue-mount";

    /// <summary>Let other users (and root) use the mount; otherwise only the mounting user can.</summary>
    public bool AllowOther { get; init; }

    /// <summary>Let the kernel check permissions from mode/uid/gid (recommended; the VFS does not check them).</summary>
    public bool DefaultPermissions { get; init; } = true;

    public bool ReadOnly { get; init; }

    /// <summary>
    /// The kernel does not follow symlinks on the mount (<c>nosymfollow</c>, MS_NOSYMFOLLOW): a link a bucket writer
    /// pointed at a local file cannot be read or written through. <c>readlink</c> still shows it.
    /// </summary>
    public bool NoSymFollow { get; init; }

    /// <summary>Mount without <c>nosuid</c> (the default mount is nosuid): for buckets as trusted as the local disk.</summary>
    public bool AllowSetuid { get; init; }

    /// <summary>Mount over a directory that is not empty (its files are hidden while mounted).</summary>
    public bool AllowNonEmpty { get; init; }

    /// <summary>Dedicated threads reading /dev/fuse.</summary>
    public int ReaderThreads { get; init; } = 4;

    /// <summary>Readahead in KiB written to the mount's bdi after mounting (1024 gives 1 MiB READs).</summary>
    public int ReadAheadKb { get; init; } = 1024;

    /// <summary>
    /// Offer FUSE passthrough: opens for reading of an object whose whole, verified copy is cached are handed to the
    /// kernel, which reads that file itself. Off by default: the kernel then refuses (EIO) any other open of the file
    /// (a writer, an open of a newer generation) until the passthrough opens close.
    /// </summary>
    public bool Passthrough { get; init; }

    /// <summary>Use fusermount3 even as root (normally used only without root).</summary>
    public bool ForceFusermount { get; init; }

    /// <summary>How long to wait for the kernel's INIT after mounting.</summary>
    public TimeSpan InitTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an unmount waits for requests still being handled (uploads on close) before giving up on them.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
