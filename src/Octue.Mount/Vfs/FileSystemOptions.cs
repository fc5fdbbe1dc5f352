using Octue.Mount.Caching;

namespace Octue.Mount.Vfs;

/// <summary>Options of an <see cref="OctueFileSystem"/>.</summary>
public sealed record FileSystemOptions
{
    /// <summary>What to mount.</summary>
    public required MountSource Source { get; init; }

    /// <summary>
    /// Local folder for the content cache, staged writes (<c>staging/</c>) and kept conflict copies (<c>conflicts/</c>).
    /// Staged files survive a crash here and are recovered by the next <c>OctueFileSystem.CreateAsync</c>.
    /// </summary>
    public required string CacheDirectory { get; init; }

    /// <summary>How long stat, negative and listing entries are trusted (close-to-open: open always revalidates). Zero disables the cache.</summary>
    public TimeSpan MetadataTtl { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The clock metadata TTLs are measured on (tests pass one they move by hand).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Upper bound of metadata cache entries (a listing counts one per entry).</summary>
    public long MetadataCacheSize { get; init; } = 200_000;

    /// <summary>Refuse every change with <see cref="VfsError.ReadOnly"/>.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Owner reported for nodes whose object carries no <c>goog-reserved-posix-uid</c> (null = 0; adapters pass the mounting user's).</summary>
    public uint? Uid { get; init; }

    /// <summary>Group reported for nodes whose object carries no <c>goog-reserved-posix-gid</c> (null = 0).</summary>
    public uint? Gid { get; init; }

    /// <summary>Permission bits of files without <c>goog-reserved-posix-mode</c> (default 0644).</summary>
    public uint FileMode { get; init; } = 0b110_100_100;

    /// <summary>Permission bits of directories (default 0755).</summary>
    public uint DirectoryMode { get; init; } = 0b111_101_101;

    /// <summary>
    /// Show the setuid, setgid and sticky bits stored in objects' <c>goog-reserved-posix-mode</c>. Off by default:
    /// whoever can write the bucket must not be able to make a setuid file appear. Only for buckets as trusted as
    /// the local disk.
    /// </summary>
    public bool AllowSetuid { get; init; }

    /// <summary>
    /// The read path's settings, as the caching layer takes them: chunk size, read-ahead, memory budget and the size
    /// bound of the on-disk content cache. Its <see cref="ReadOptions.CacheDirectory"/> is not used: the content cache
    /// lives under <see cref="CacheDirectory"/> with the rest.
    /// </summary>
    public ReadOptions Read { get; init; } = new();

    /// <summary>The default of <see cref="WriteChunkSize"/>: 16 MiB.</summary>
    public const long DefaultWriteChunkSize = 16 * 1024 * 1024;

    /// <summary>
    /// A file written from its start in order (a new file, or one truncated to nothing) streams to its object while it
    /// is written, in requests of at least this many bytes (a multiple of 256 KiB), once it holds that many: flush,
    /// fsync and close then send only the rest. 0 turns streaming off: every file is uploaded whole when it is flushed.
    /// </summary>
    public long WriteChunkSize { get; init; } = DefaultWriteChunkSize;
}
