using Microsoft.Extensions.Logging;
using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

// What open handles of a file see when this mount deletes, replaces, renames or rewrites its object: the same file,
// as on a local disk (an open file outlives its name; all handles of a file share one content).
public sealed partial class OctueFileSystem
{
    /// <summary>Where the local copies that keep unlinked files readable live (nameless while in use).</summary>
    private string DetachedCopiesDirectory => Path.Combine(_options.CacheDirectory, "detached");

    /// <summary>The open file handles of a node (not a hot path: deletes, renames and uploads ask).</summary>
    private List<FileHandle> HandlesOf(Node node)
    {
        var result = new List<FileHandle>();
        foreach (var handle in _files.Values)
        {
            if (handle.Node == node)
            {
                result.Add(handle);
            }
        }

        return result;
    }

    /// <summary>
    /// Called before this mount deletes or replaces <paramref name="generation"/> of the node's object (unlink, rename
    /// over it). Every handle that still reads that generation from the store (no staged copy of its own) is given a
    /// local copy of it first, made through a verified reader (the content cache serves what it holds, the rest is
    /// downloaded), so it keeps reading after the object is gone, as POSIX keeps an unlinked open file. One copy
    /// serves all such handles and disappears with the last. When the copy cannot be made, the delete goes ahead and
    /// is logged: those handles then get ESTALE for bytes not in the cache, never wrong bytes.
    /// </summary>
    private async ValueTask PreserveOpenReadersAsync(Node node, long generation, CancellationToken ct)
    {
        List<FileHandle>? readers = null;
        foreach (var handle in HandlesOf(node))
        {
            if (handle.Staged is null && handle.Base is { } b && b.Generation == generation && handle.Reader is not DetachedCopy)
            {
                (readers ??= new List<FileHandle>()).Add(handle);
            }
        }

        if (readers is null)
        {
            return;
        }

        var baseObject = readers[0].Base!;
        var source = _reads.OpenReader(baseObject);
        DetachedCopy copy;
        try
        {
            copy = await DetachedCopy.CreateAsync(DetachedCopiesDirectory, source, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogWarning(e, "{Object} is open and goes away, but its bytes could not be kept for the open handles: their reads of it may fail", node);
            return;
        }
        finally
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }

        for (var i = 0; i < readers.Count; i++)
        {
            var held = i == 0 ? copy : copy.AddReference();
            var reader = readers[i];
            // A concurrent first read may be opening a store reader: retry until the copy is in place.
            while (!reader.ReplaceReader(reader.Reader, held))
            {
            }
        }

        _logger.LogDebug("{Object} goes away while open: {Count} handle(s) read a local copy of generation {Generation}", node, readers.Count, generation);
    }

    /// <summary>
    /// Called once this mount made <paramref name="current"/> the node's object (an upload, the copy of a rename).
    /// The other handles with no staged copy of their own read <paramref name="current"/> from then on (only those on
    /// <paramref name="onlyGeneration"/>, when given): after an upload they read what the writer staged, which is what
    /// they saw through it while it wrote; after a rename the copy has the bytes they were reading.
    /// </summary>
    private void RebaseOpenHandles(Node node, ObjectInfo current, FileHandle? uploader, long? onlyGeneration)
    {
        foreach (var handle in HandlesOf(node))
        {
            if (handle == uploader || handle.Staged is not null || handle.Reader is DetachedCopy ||
                (onlyGeneration is { } generation && handle.Base?.Generation != generation))
            {
                continue;
            }

            handle.Base = current;
        }
    }

    /// <summary>
    /// The last writer of a file that lost its name lets go (nothing is uploaded): the other handles still open on it
    /// keep reading its bytes as that writer left them, as they would on a local disk, from the staged file itself
    /// (opened again before its name is deleted).
    /// </summary>
    private void HandOverUnlinkedContent(FileHandle writer, StagedFile staged)
    {
        List<FileHandle>? others = null;
        foreach (var handle in HandlesOf(writer.Node))
        {
            if (handle != writer && handle.Staged is null)
            {
                (others ??= new List<FileHandle>()).Add(handle);
            }
        }

        if (others is null)
        {
            return;
        }

        var node = writer.Node;
        var content = new ObjectInfo
        {
            Bucket = node.Bucket,
            Name = node.ObjectName,
            Size = staged.Length,
            Metadata = new Dictionary<string, string>(staged.Sidecar.Metadata, StringComparer.Ordinal),
            ContentType = staged.Sidecar.ContentType,
            Updated = PosixMetadata.FromNs(writer.ModifiedNs),
            Created = writer.Base?.Created ?? PosixMetadata.FromNs(writer.ModifiedNs),
        };
        DetachedCopy copy;
        try
        {
            copy = DetachedCopy.Adopt(staged.DataPath, content);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(e, "The bytes of unlinked {Object} could not be kept for its other open handles", node);
            return;
        }

        for (var i = 0; i < others.Count; i++)
        {
            var handle = others[i];
            handle.Base = content;
            var held = i == 0 ? copy : copy.AddReference();
            while (!handle.ReplaceReader(handle.Reader, held))
            {
            }
        }
    }

    /// <summary>
    /// Staged copies of a file that lost its name (unlink, replaced by a rename) are never uploaded: their sidecars
    /// say so, so that a start after a crash drops them instead of bringing the file back. Each writer's gate is taken.
    /// </summary>
    private static async ValueTask ForgetStagedCopiesAsync(Node node, CancellationToken ct)
    {
        foreach (var writer in WritersOf(node))
        {
            await writer.Gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                if (writer.Staged is { } staged)
                {
                    await staged.MarkUnlinkedAsync(ct).ConfigureAwait(false);
                }
            }
            finally
            {
                writer.Gate.Release();
            }
        }
    }

    /// <summary>As <see cref="ForgetStagedCopiesAsync"/>, by an unlink that already holds the writers' gates.</summary>
    private static async ValueTask MarkStagedCopiesUnlinkedAsync(Node node, CancellationToken ct)
    {
        foreach (var writer in WritersOf(node))
        {
            if (writer.Staged is { } staged)
            {
                await staged.MarkUnlinkedAsync(ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Local copies left by a stop (only where a file cannot be nameless while open, i.e. Windows): no handle survives
    /// a restart, so they are only disk space.
    /// </summary>
    private void RemoveLeftoverDetachedCopies()
    {
        try
        {
            if (Directory.Exists(DetachedCopiesDirectory))
            {
                Directory.Delete(DetachedCopiesDirectory, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(e, "Could not remove old local copies in {Path}", DetachedCopiesDirectory);
        }
    }
}
