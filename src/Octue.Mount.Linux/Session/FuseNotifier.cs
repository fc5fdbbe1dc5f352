using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using Octue.Mount.Linux.Protocol;
using Octue.Mount.Vfs;

namespace Octue.Mount.Linux.Session;

/// <summary>
/// Sends the VFS's cache invalidations to the kernel from its own thread. Never from a request handler: an
/// INVAL_ENTRY waits for the directory's lock, which a LOOKUP we are still answering may hold.
/// </summary>
internal sealed class FuseNotifier : IInvalidationSink
{
    private const int MaxNameBytes = 1024;

    private readonly BlockingCollection<Invalidation> _queue = new();
    private readonly FuseReplySender _sender;
    private readonly ILogger _logger;

    public FuseNotifier(FuseReplySender sender, ILogger logger)
    {
        _sender = sender;
        _logger = logger;
        new Thread(Run) { IsBackground = true, Name = "fuse-notifier" }.Start();
    }

    public void InvalidateEntry(ulong parent, string name) => Enqueue(new Invalidation(parent, name));

    public void InvalidateNode(ulong node) => Enqueue(new Invalidation(node, null));

    /// <summary>
    /// Sent at once from the caller's thread: an INVAL_INODE with a negative offset drops only the attributes
    /// (fs/fuse/inode.c, fuse_reverse_inval_inode), under the inode's spinlock and no page or directory lock, so a
    /// request handler may send it before its reply.
    /// </summary>
    public void InvalidateAttributes(ulong node)
    {
        Span<byte> message = stackalloc byte[FuseOutHeader.Size + FuseNotifyInvalInodeOut.Size];
        var length = FuseReplyEncoder.WriteInvalInode(message, node, offset: -1, length: 0);
        var errno = _sender.Notify(message[..length]);
        if (errno != 0 && errno != Errno.ENOENT && errno != Errno.ENODEV)
            _logger.LogDebug("Invalidation of node {Node}'s attributes failed: {Error}", node, Native.LibC.Describe(errno));
    }

    private void Enqueue(Invalidation item)
    {
        try
        {
            _queue.TryAdd(item);
        }
        catch (InvalidOperationException)
        {
            // The connection is gone: there is no kernel cache left to invalidate.
        }
    }

    public void Stop() => _queue.CompleteAdding();

    private void Run()
    {
        Span<byte> message = stackalloc byte[FuseOutHeader.Size + FuseNotifyInvalEntryOut.Size + MaxNameBytes + 1];
        Span<byte> name = stackalloc byte[MaxNameBytes];
        try
        {
            foreach (var item in _queue.GetConsumingEnumerable())
            {
                int length;
                if (item.Name is null)
                {
                    // Offset 0, length 0: attributes and every cached page of the node.
                    length = FuseReplyEncoder.WriteInvalInode(message, item.Node, 0, 0);
                }
                else
                {
                    if (Encoding.UTF8.GetByteCount(item.Name) > MaxNameBytes)
                        continue;
                    var nameLength = Encoding.UTF8.GetBytes(item.Name, name);
                    length = FuseReplyEncoder.WriteInvalEntry(message, item.Node, name[..nameLength]);
                }
                var errno = _sender.Notify(message[..length]);
                // ENOENT: the kernel no longer caches that node or name, which is what we wanted.
                if (errno == Errno.ENODEV)
                    return;
                if (errno != 0 && errno != Errno.ENOENT)
                    _logger.LogDebug("Invalidation of node {Node} {Name} failed: {Error}", item.Node, item.Name, Native.LibC.Describe(errno));
            }
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "The FUSE notifier stopped");
        }
    }

    private readonly record struct Invalidation(ulong Node, string? Name);
}
