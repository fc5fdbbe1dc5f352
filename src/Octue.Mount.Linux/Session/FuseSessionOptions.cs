namespace Octue.Mount.Linux.Session;

/// <summary>Knobs of the request loop and of INIT negotiation.</summary>
internal sealed record FuseSessionOptions
{
    /// <summary>Dedicated threads blocking in read(2) on /dev/fuse from the start.</summary>
    public int ReaderThreads { get; init; } = 4;

    /// <summary>
    /// Most reader threads there may be: a reader serves what it reads up to the handler's first wait, and starts
    /// another when none is left reading; past this many, requests wait in the kernel for a reader to come back.
    /// </summary>
    public int MaxReaderThreads { get; init; } = 16;

    /// <summary>Largest WRITE the kernel may send (also READ size with MAX_PAGES); 1 MiB = 256 pages.</summary>
    public uint MaxWrite { get; init; } = 1 << 20;

    public ushort MaxPages { get; init; } = 256;

    /// <summary>Upper bound for the kernel's readahead; the kernel's own value wins when lower.</summary>
    public uint MaxReadahead { get; init; } = 1 << 20;

    /// <summary>Asynchronous requests (readahead, async direct I/O, RELEASE) the kernel keeps in flight.</summary>
    public ushort MaxBackground { get; init; } = 64;

    /// <summary>Background requests beyond which the kernel treats the connection as congested (libfuse uses 3/4 of max_background).</summary>
    public ushort CongestionThreshold { get; init; } = 48;

    /// <summary>
    /// Offer FUSE passthrough (off by default, <see cref="Mounting.FuseMountOptions.Passthrough"/>): opens for reading
    /// of an object whose whole, verified copy is cached are answered with that file as backing file, and the kernel
    /// reads it without asking the daemon. Registering a backing file needs CAP_SYS_ADMIN; without it the first
    /// refusal turns passthrough off for the mount.
    /// </summary>
    public bool Passthrough { get; init; }

    /// <summary>
    /// Offer HANDLE_KILLPRIV_V2: the file system, not the kernel, clears setuid/setgid bits and file capabilities on a
    /// write. Only true when no file can have any: the mount shows no setuid/setgid bits (no <c>--suid</c>) and answers
    /// every <c>security.*</c> xattr with EOPNOTSUPP, so there is never anything to clear. The kernel then marks an inode
    /// "no security attributes" after its first write (SB_NOSEC) instead of asking GETXATTR
    /// <c>security.capability</c> before every WRITE: 1,024 round trips fewer for a 1 GiB file written in 1 MiB blocks.
    /// </summary>
    public bool NothingToKillOnWrite { get; init; }

    /// <summary>Request buffers kept for reuse beyond those in flight.</summary>
    public int RetainedBuffers { get; init; } = 16;

    /// <summary>Size of each request buffer: the largest WRITE plus its headers, rounded to a page.</summary>
    public int RequestBufferSize => (int)MaxWrite + 4096;
}
