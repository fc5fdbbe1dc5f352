using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// Close-to-open for a handle opened without asking the store: its first read is the revalidation.
public sealed partial class OctueFileSystem
{
    /// <summary>
    /// Revalidates a handle opened on metadata the mount already held (<see cref="OpenAsync"/>) before its first byte
    /// is served. With nothing of its generation cached, the read's own download, pinned to that generation, is the
    /// check: it succeeds only while that generation is the object's current one, so the bytes are what an open that
    /// asked the store would have read. When the object changed meanwhile (412), was deleted (404), or bytes of the
    /// generation were cached since the open (they would be served without asking), a stat tells the current version
    /// and the handle moves onto it, as an open at this moment would have; a deleted object gives
    /// <see cref="ObjectNotFoundException"/> (the read's <c>ESTALE</c>). Returns the bytes read, or null when the read
    /// is still to be done on the handle's (now confirmed) base. Concurrent first reads wait for one revalidation.
    /// </summary>
    private async ValueTask<int?> ConfirmFirstReadAsync(FileHandle h, long offset, Memory<byte> buffer, CancellationToken ct)
    {
        await h.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!h.Unconfirmed)
            {
                return null;
            }

            if (h.Base is not { } opened || h.Reader is DetachedCopy)
            {
                // Nothing to read, or this mount removed the object and the handle reads its local copy: nothing to ask.
                h.Unconfirmed = false;
                return null;
            }

            if (!_reads.HasCached(opened))
            {
                try
                {
                    var read = await ReaderOf(h, opened).ReadAsync(offset, buffer, ct).ConfigureAwait(false);
                    h.Unconfirmed = false;
                    return read;
                }
                catch (Exception e) when (e is ObjectNotFoundException or PreconditionFailedException)
                {
                    // Not that generation any more: ask what the object is now.
                }
            }

            var node = h.Node;
            var current = await StatAsync(node.Bucket, node.ObjectName, ct).ConfigureAwait(false);
            if (current is null)
            {
                if (!node.Detached && node.Parent is { } parent)
                {
                    _listings.InvalidateKnownEntry(parent, node.Name);
                }

                throw new ObjectNotFoundException($"read {ObjectInfoMapper.Uri(node.Bucket, node.ObjectName)}: the object was deleted before the file was opened");
            }

            if (current.Generation != opened.Generation)
            {
                // Drops the kernel's pages and attributes of the old version: its size may differ.
                _resolver.ObserveObject(node, current);
                h.Base = current;
                h.ModifiedNs = PosixMetadata.ModifiedNs(current);
            }

            h.Unconfirmed = false;
            return null;
        }
        finally
        {
            h.Gate.Release();
        }
    }
}
