using Microsoft.Extensions.Logging;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// Reads and writes on open handles, and the flush, fsync and release that upload what a handle staged.
public sealed partial class OctueFileSystem
{
    /// <inheritdoc/>
    public async ValueTask<VfsResult<int>> ReadAsync(ulong handle, long offset, Memory<byte> buffer, CancellationToken ct = default)
    {
        if (!_files.TryGetValue(handle, out var h))
        {
            return VfsError.BadHandle;
        }

        if (offset < 0)
        {
            return VfsError.InvalidArgument;
        }

        // Read-only handles never change state after open: the kernel's parallel reads run concurrently (the
        // reader is safe for that). Writable handles serialise reads with writes and uploads.
        var gated = h.CanWrite;
        if (gated)
        {
            await h.Gate.WaitAsync(ct).ConfigureAwait(false);
        }

        try
        {
            if (h.Failure != VfsError.None)
            {
                return h.Failure == VfsError.Stale ? VfsError.Stale : VfsError.IoError;
            }

            int read;
            if (h.Staged is { } staged)
            {
                read = await staged.ReadAsync(offset, buffer, ct).ConfigureAwait(false);
            }
            else if (h.Node.WriteHandles.Count != 0 && ActiveWriter(h.Node) is { } writer && writer != h &&
                     await ReadThroughWriterAsync(writer, offset, buffer, ct).ConfigureAwait(false) is { } throughWriter)
            {
                read = throughWriter;
            }
            else
            {
                read = await ReadBaseAsync(h, offset, buffer, ct).ConfigureAwait(false);
            }

            _metrics.BytesRead(read);
            return read;
        }
        catch (CorruptionException e)
        {
            _metrics.IntegrityFailure();
            _logger.LogError(e, "Integrity check failed reading {Object}: the read is refused", h.Node);
            return VfsError.IoError;
        }
        catch (Exception e) when (e is ObjectNotFoundException or PreconditionFailedException)
        {
            // The generation this handle was opened on was replaced or deleted: reopen to see the new one.
            _logger.LogInformation("{Object} changed while open for reading; the handle is stale", h.Node);
            return VfsError.Stale;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorMapping.Map(e, _logger, "read", h.Node.ToString());
        }
        finally
        {
            if (gated)
            {
                h.Gate.Release();
            }
        }
    }

    /// <summary>
    /// A handle of a file that another handle on this mount is writing reads what that writer has staged: one file,
    /// one content, as the kernel's shared page cache shows it anyway (and the size stat reports). Null when the
    /// writer let go of its staged copy meanwhile (released: its upload is then the object this handle was rebased on).
    /// </summary>
    private static async ValueTask<int?> ReadThroughWriterAsync(FileHandle writer, long offset, Memory<byte> buffer, CancellationToken ct)
    {
        await writer.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return writer.Staged is { } staged ? await staged.ReadAsync(offset, buffer, ct).ConfigureAwait(false) : null;
        }
        finally
        {
            writer.Gate.Release();
        }
    }

    /// <summary>
    /// Reads the handle's generation. A read that raced with a rebase or with the switch to a detached copy (its
    /// object gone by the time it asked the store) is retried once on what the handle reads now.
    /// </summary>
    private async ValueTask<int> ReadBaseAsync(FileHandle h, long offset, Memory<byte> buffer, CancellationToken ct)
    {
        if (h.Unconfirmed && await ConfirmFirstReadAsync(h, offset, buffer, ct).ConfigureAwait(false) is { } first)
        {
            return first;
        }

        for (var attempt = 0; ; attempt++)
        {
            if (h.Base is not { } baseObject)
            {
                return 0;
            }

            var reader = ReaderOf(h, baseObject);
            try
            {
                return await reader.ReadAsync(offset, buffer, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt == 0 && e is ObjectNotFoundException or PreconditionFailedException &&
                                      (h.Reader != reader || h.Base != baseObject))
            {
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask<VfsResult<WrittenBytes>> WriteAsync(ulong handle, long offset, ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        if (!_files.TryGetValue(handle, out var h))
        {
            return VfsError.BadHandle;
        }

        if (!h.CanWrite)
        {
            return VfsError.BadHandle;
        }

        if (offset < 0)
        {
            return VfsError.InvalidArgument;
        }

        await h.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (h.Failure != VfsError.None)
            {
                return h.Failure;
            }

            if (h.Staged is null)
            {
                var error = await StageAsync(h, copyContent: true, ct).ConfigureAwait(false);
                if (error != VfsError.None)
                {
                    return WriteMissed(h, error);
                }
            }

            var staged = h.Staged!;
            var at = (h.Flags & OpenFlags.Append) != 0 ? staged.Length : offset;
            if (!ObjectLimits.SizeFits(at + data.Length))
            {
                // Refused before a byte is written, yet the file now lacks this write: what came before it must not
                // be published as the whole file (the first 5 TiB of a larger copy), so it is a missed write.
                return WriteMissed(h, VfsError.FileTooBig);
            }

            await staged.MarkBytesChangedAsync(ct).ConfigureAwait(false);
            await staged.WriteAsync(at, data, ct).ConfigureAwait(false);
            h.ModifiedNs = NowNs();
            _metrics.BytesWritten(data.Length);
            return new WrittenBytes(data.Length, _attributes.Staged(h.Node, h));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Interrupted before the bytes were written: the caller may write them again.
            return VfsError.Interrupted;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return WriteMissed(h, ErrorMapping.Map(e, _logger, "write", h.Node.ToString()));
        }
        finally
        {
            h.Gate.Release();
        }
    }

    /// <inheritdoc/>
    public ValueTask<VfsError> FlushAsync(ulong handle, CancellationToken ct = default) =>
        _files.TryGetValue(handle, out var h) ? FlushHandleAsync(h, ct) : ValueTask.FromResult(VfsError.BadHandle);

    /// <inheritdoc/>
    public async ValueTask<VfsResult<NodeAttributes>> FlushAndGetAttributesAsync(ulong handle, CancellationToken ct = default)
    {
        if (!_files.TryGetValue(handle, out var h))
        {
            return VfsError.BadHandle;
        }

        var error = await FlushHandleAsync(h, ct).ConfigureAwait(false);
        return error != VfsError.None ? error : await _resolver.GetAttributesAsync(h.Node, h, ct).ConfigureAwait(false);
    }

    /// <summary>Uploads what the handle staged, under its gate.</summary>
    private async ValueTask<VfsError> FlushHandleAsync(FileHandle h, CancellationToken ct)
    {
        await h.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await UploadIfDirtyAsync(h, ct).ConfigureAwait(false);
        }
        finally
        {
            h.Gate.Release();
        }
    }

    /// <inheritdoc/>
    public ValueTask<VfsError> FsyncAsync(ulong handle, CancellationToken ct = default) =>
        _files.TryGetValue(handle, out var h) ? FlushHandleAsync(h, ct) : ValueTask.FromResult(VfsError.BadHandle);

    /// <inheritdoc/>
    public ValueTask<VfsError> ReleaseAsync(ulong handle, CancellationToken ct = default) =>
        _files.TryRemove(handle, out var h) ? ReleaseHandleAsync(h, ct) : ValueTask.FromResult(VfsError.BadHandle);

    /// <summary>Releases a handle already taken out of the open files: uploads what it staged, then lets its copy go.</summary>
    private async ValueTask<VfsError> ReleaseHandleAsync(FileHandle h, CancellationToken ct)
    {
        await h.Gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            var error = await UploadIfDirtyAsync(h, ct).ConfigureAwait(false);
            if (h.Staged is { } staged)
            {
                if (error == VfsError.None)
                {
                    if (h.Node.Detached)
                    {
                        HandOverUnlinkedContent(h, staged);
                    }

                    staged.Delete();
                }
                else if (IsUnlinked(h.Node))
                {
                    // Removed while its upload was failing: nothing is left to save it for.
                    DropStaged(staged, h.Node.ToString(), "removed");
                }
                else
                {
                    // Not uploaded for a reason that may pass: the bytes stay in staging/, and the file stays listed.
                    KeepPending(staged, h.ModifiedNs, h.ModifiedNs, error);
                }

                // Only now: until the other handles of an unlinked file were handed its bytes (above), their reads are
                // served from this copy, and a read in between must not fall back to the object it replaced.
                h.Writes.Drop();
            }

            await h.DisposeReadersAsync().ConfigureAwait(false);
            return error;
        }
        finally
        {
            lock (h.Node.WriteHandles)
            {
                h.Node.WriteHandles.Remove(h);
            }

            if (h.Node.Parent is { } parent && parent.PendingCreates.TryGetValue(h.Node.Name, out var pending) && pending == h.Node && ActiveWriter(h.Node) is null)
            {
                parent.PendingCreates.TryRemove(h.Node.Name, out _);
            }

            _nodes.ReleaseOpen(h.Node);
            h.Gate.Release();
        }
    }
}
