using Microsoft.Extensions.Logging;
using Octue.Mount.Linux.Native;
using Octue.Mount.Linux.Protocol;

namespace Octue.Mount.Linux.Session;

/// <summary>
/// FUSE passthrough: an open for reading whose file has a whole, verified local copy is answered with
/// <c>FOPEN_PASSTHROUGH</c> and the id of that copy registered as a backing file (<c>FUSE_DEV_IOC_BACKING_OPEN</c>),
/// and the kernel then serves its reads (and mmap) from it without a READ to the daemon.
/// The kernel's rules shape the bookkeeping: an inode is either in passthrough mode (every open of it passthrough, on
/// one backing file) or in cached mode (no open of it passthrough), so per node this counts the open handles of each
/// kind, reuses the node's backing id while it has passthrough opens, and answers an open as cached while cached
/// opens exist. Backing ids are closed when the node's last passthrough handle is released (an open file keeps its
/// backing file after that). Registering needs CAP_SYS_ADMIN: the first EPERM turns passthrough off for the mount.
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
    /// Records an open of <paramref name="node"/> as <paramref name="handle"/>; returns the backing id to answer it
    /// with (0: an ordinary open, served by the daemon). <paramref name="backingFile"/> is the whole verified copy, or
    /// null when there is none or the open can write.
    /// </summary>
    public int Open(ulong node, ulong handle, string? backingFile)
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
        int answer;
        lock (_sync)
        {
            if (!_nodes.TryGetValue(node, out var opens))
                _nodes[node] = opens = new NodeOpens();
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
            // The node's backing file serves only opens of the same copy: after the object changed, an open of the
            // new generation must not read the old one, so it is served by the daemon until the old opens close.
            var passthrough = _enabled && backingFile is not null && opens.Cached == 0 && opens.BackingId > 0
                && opens.BackingFile == backingFile;
            if (passthrough)
                opens.Passthrough++;
            else
                opens.Cached++;
            _handles[handle] = (node, passthrough);
            answer = passthrough ? opens.BackingId : 0;
        }
        if (surplus > 0)
            Unregister(surplus);
        return answer;
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
            if (opens.Passthrough == 0 && opens.Cached == 0)
                _nodes.Remove(open.Node);
        }
        if (unregister > 0)
            Unregister(unregister);
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
