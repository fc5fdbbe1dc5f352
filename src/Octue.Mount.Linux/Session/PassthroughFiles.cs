using Microsoft.Extensions.Logging;
using Octue.Mount.Linux.Native;
using Octue.Mount.Linux.Protocol;

namespace Octue.Mount.Linux.Session;

/// <summary>
/// FUSE passthrough: an open for reading whose file has a whole, verified local copy is answered with
/// <c>FOPEN_PASSTHROUGH</c> and the id of that copy registered as a backing file (<c>FUSE_DEV_IOC_BACKING_OPEN</c>),
/// and the kernel then serves its reads (and mmap) from it without a READ to the daemon.
/// <para>
/// The kernel's rules shape the bookkeeping (fs/fuse/iomode.c): an inode is either in passthrough mode (every open of
/// it carries <c>FOPEN_PASSTHROUGH</c> on one backing file; any other open fails with EIO) or in cached mode (no open
/// of it is passthrough). So per node this counts the open handles of each kind and reuses the node's backing id
/// while it has passthrough handles. An open that must not read the copy (a writer, an open of a newer generation or
/// of staged bytes) of a node in passthrough mode is answered <see cref="PassthroughAnswer.Direct"/>: the same
/// backing id with <c>FOPEN_DIRECT_IO</c> as well, which the kernel accepts (the backing file matches) and which sends
/// every read and write of that open to the daemon (direct I/O overrides passthrough for read, write and splice), so
/// it behaves as an ordinary open. An mmap of such an open still maps the backing file (the kernel maps a passthrough
/// open's backing file whatever its other flags): harmless for a write-only open (it cannot be mapped), a stale view
/// for a read-only one, but a shared writable mapping of a read-write open would write into the cached copy instead of
/// the file, and those bytes would never reach the bucket. So a read-write open of a node in passthrough mode is
/// refused (ETXTBSY, <see cref="TryReserveReadWrite"/>) until its passthrough readers close. An open of a node
/// with ordinary handles is ordinary too, until they close.
/// </para>
/// Backing ids are closed when the node's last passthrough handle is released (an open file keeps its backing file
/// after that). Registering needs CAP_SYS_ADMIN: the first EPERM turns passthrough off for the mount.
/// </summary>
internal sealed class PassthroughFiles
{
    private readonly FuseDevice _device;
    private readonly ILogger _logger;
    private readonly object _sync = new();
    private readonly Dictionary<ulong, NodeOpens> _nodes = new();
    /// <summary>Every open file handle of a regular file, with its node and whether it went passthrough.</summary>
    private readonly Dictionary<ulong, (ulong Node, bool Passthrough)> _handles = new();
    private volatile bool _enabled;

    public PassthroughFiles(FuseDevice device, ILogger logger)
    {
        _device = device;
        _logger = logger;
    }

    /// <summary>True once INIT granted passthrough, until the kernel refused a backing file for lack of privilege.</summary>
    public bool Enabled
    {
        get => _enabled;
        set => _enabled = value;
    }

    /// <summary>Backing files registered now (for tests and the log).</summary>
    public int OpenBackingIds
    {
        get
        {
            lock (_sync)
            {
                return _nodes.Values.Count(n => n.BackingId > 0);
            }
        }
    }

    /// <summary>
    /// Records an open of <paramref name="node"/> as <paramref name="handle"/> and says how to answer it.
    /// <paramref name="backingFile"/> is the whole verified copy this open may read, or null when there is none or
    /// the open must not read it (it can write, it has staged bytes). <paramref name="reserved"/>: the open was
    /// reserved as an ordinary one with <see cref="TryReserveReadWrite"/> before the file system opened it.
    /// </summary>
    public PassthroughAnswer Open(ulong node, ulong handle, string? backingFile, bool reserved = false)
    {
        // The backing file is registered outside the lock (two system calls); a racing open of the same node that
        // registered first wins and this registration is given back.
        var wanted = _enabled && backingFile is not null;
        var registered = 0;
        if (wanted)
        {
            lock (_sync)
                wanted = !_nodes.TryGetValue(node, out var known) || (known.Cached == 0 && known.BackingId == 0);
            if (wanted)
                registered = Register(backingFile!);
        }
        var surplus = 0;
        PassthroughAnswer answer;
        lock (_sync)
        {
            var opens = OpensOf(node);
            if (registered > 0 && (opens.BackingId != 0 || opens.Cached != 0))
            {
                surplus = registered;
                registered = 0;
            }
            if (registered > 0)
            {
                opens.BackingId = registered;
                opens.BackingFile = backingFile;
            }
            if (reserved)
            {
                // Counted as an ordinary open when reserved; no passthrough open was granted since.
                _handles[handle] = (node, false);
                return default;
            }
            if (opens.BackingId > 0)
            {
                // The node is in passthrough mode: this open must name the same backing file or the kernel fails it.
                // It reads that file only when it is the copy this open is of; otherwise (a writer, a newer
                // generation) the daemon serves it, through direct I/O on the same backing id.
                opens.Passthrough++;
                answer = new PassthroughAnswer(opens.BackingId, Direct: backingFile is null || opens.BackingFile != backingFile);
            }
            else
            {
                opens.Cached++;
                answer = default;
            }
            _handles[handle] = (node, answer.BackingId > 0);
        }
        if (surplus > 0)
            Unregister(surplus);
        return answer;
    }

    /// <summary>
    /// Before the file system opens <paramref name="node"/> for reading and writing: false when passthrough readers
    /// hold it (the open must be refused before it changes anything, e.g. truncates); otherwise the open is counted as
    /// an ordinary one from now on, so no passthrough open is granted meanwhile. Follow with
    /// <see cref="Open"/> (<c>reserved</c>) or, if the file system's open failed, <see cref="CancelReservation"/>.
    /// </summary>
    public bool TryReserveReadWrite(ulong node)
    {
        lock (_sync)
        {
            var opens = OpensOf(node);
            if (opens.BackingId > 0)
                return false;
            opens.Cached++;
            return true;
        }
    }

    /// <summary>Gives back a reservation whose open failed.</summary>
    public void CancelReservation(ulong node)
    {
        lock (_sync)
        {
            if (!_nodes.TryGetValue(node, out var opens))
                return;
            opens.Cached--;
            RemoveIfUnopened(node, opens);
        }
    }

    /// <summary>The handle was released (or its open never reached the kernel).</summary>
    public void Release(ulong handle)
    {
        var unregister = 0;
        lock (_sync)
        {
            if (!_handles.Remove(handle, out var open) || !_nodes.TryGetValue(open.Node, out var opens))
                return;
            if (open.Passthrough)
                opens.Passthrough--;
            else
                opens.Cached--;
            if (opens.Passthrough == 0 && opens.BackingId > 0)
            {
                unregister = opens.BackingId;
                opens.BackingId = 0;
                opens.BackingFile = null;
            }
            RemoveIfUnopened(open.Node, opens);
        }
        if (unregister > 0)
            Unregister(unregister);
    }

    /// <summary>The open counts of <paramref name="node"/>, made on its first open. Under <see cref="_sync"/>.</summary>
    private NodeOpens OpensOf(ulong node)
    {
        if (!_nodes.TryGetValue(node, out var opens))
            _nodes[node] = opens = new NodeOpens();
        return opens;
    }

    /// <summary>Forgets <paramref name="node"/> once no handle of either kind is open. Under <see cref="_sync"/>.</summary>
    private void RemoveIfUnopened(ulong node, NodeOpens opens)
    {
        if (opens.Passthrough == 0 && opens.Cached == 0)
            _nodes.Remove(node);
    }

    private unsafe int Register(string path)
    {
        var fd = LibC.Open(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            _logger.LogDebug("Passthrough: cannot open {Path}: {Error}", path, LibC.Describe(LibC.LastErrno));
            return 0;
        }
        try
        {
            var map = new BackingMap { Fd = fd };
            var id = LibC.Ioctl(_device.FileDescriptor, LibC.FUSE_DEV_IOC_BACKING_OPEN, &map);
            if (id > 0)
                return id;
            var errno = LibC.LastErrno;
            if (errno == Errno.EPERM)
            {
                _enabled = false;
                _logger.LogInformation("The kernel refused a passthrough backing file ({Error}: registering one needs CAP_SYS_ADMIN); reads are served by the daemon",
                    LibC.Describe(errno));
            }
            else
            {
                _logger.LogDebug("Passthrough: the kernel refused {Path} as a backing file: {Error}", path, LibC.Describe(errno));
            }
            return 0;
        }
        finally
        {
            // The kernel holds its own reference to the file from now on.
            LibC.Close(fd);
        }
    }

    private unsafe void Unregister(int backingId)
    {
        var id = (uint)backingId;
        if (LibC.Ioctl(_device.FileDescriptor, LibC.FUSE_DEV_IOC_BACKING_CLOSE, &id) < 0)
            _logger.LogDebug("Passthrough: closing backing id {Id} failed: {Error}", backingId, LibC.Describe(LibC.LastErrno));
    }

    private sealed class NodeOpens
    {
        public int BackingId;
        public string? BackingFile;
        public int Passthrough;
        public int Cached;
    }

    /// <summary><c>struct fuse_backing_map</c> (16 bytes).</summary>
    private struct BackingMap
    {
        public int Fd;
        public uint Flags;
        public ulong Padding;
    }
}

/// <summary>
/// How to answer an open: <see cref="BackingId"/> 0 is an ordinary open; otherwise <c>FOPEN_PASSTHROUGH</c> on that
/// backing id, with <c>FOPEN_DIRECT_IO</c> as well when <see cref="Direct"/> (the daemon serves the open's reads and
/// writes; the inode's other opens keep reading the backing file).
/// </summary>
internal readonly record struct PassthroughAnswer(int BackingId, bool Direct);
