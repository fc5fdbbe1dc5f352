using Microsoft.Win32.SafeHandles;
using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// A local copy of an object being written: random writes, appends and truncation happen here, and the whole file is
/// uploaded on flush. Its <see cref="StagingSidecar"/> lies next to it (<c>ID.json</c> beside <c>ID.data</c>).
/// Not thread-safe: the owning handle serialises access.
/// </summary>
internal sealed class StagedFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private bool _disposed;

    internal StagedFile(string dataPath, string sidecarPath, SafeFileHandle handle, StagingSidecar sidecar, long length = 0)
    {
        DataPath = dataPath;
        SidecarPath = sidecarPath;
        _handle = handle;
        Sidecar = sidecar;
        Length = length;
    }

    public string DataPath { get; }
    public string SidecarPath { get; }
    public StagingSidecar Sidecar { get; }

    public long Length { get; private set; }

    /// <summary>True when the staged bytes differ from the object's (or the object does not exist yet).</summary>
    public bool Dirty => !Sidecar.Clean;

    /// <summary>What follows this copy's writes as they happen (a streamed upload), or null.</summary>
    public IStagedWriteFollower? Follower { get; set; }

    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        var follower = Follower;
        follower?.Writing(offset, data.Length);
        await RandomAccess.WriteAsync(_handle, data, offset, ct).ConfigureAwait(false);
        Length = Math.Max(Length, offset + data.Length);
        if (follower is not null)
        {
            await follower.WrittenAsync(Length, ct).ConfigureAwait(false);
        }
    }

    public async ValueTask<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct)
    {
        if (offset >= Length)
        {
            return 0;
        }

        var wanted = (int)Math.Min(buffer.Length, Length - offset);
        var total = 0;
        while (total < wanted)
        {
            var read = await RandomAccess.ReadAsync(_handle, buffer.Slice(total, wanted - total), offset + total, ct).ConfigureAwait(false);
            if (read == 0)
            {
                // A sparse tail (extended by truncate) reads as zeros.
                buffer.Span.Slice(total, wanted - total).Clear();
                return wanted;
            }

            total += read;
        }

        return total;
    }

    public void SetLength(long length)
    {
        Follower?.Resizing(length);
        RandomAccess.SetLength(_handle, length);
        Length = length;
    }

    /// <summary>Records that the staged bytes now differ from the object (written once per clean → dirty change).</summary>
    public async ValueTask MarkDirtyAsync(CancellationToken ct)
    {
        if (Sidecar.Clean)
        {
            Sidecar.Clean = false;
            try
            {
                await Sidecar.WriteAsync(SidecarPath, durable: false, ct).ConfigureAwait(false);
            }
            catch
            {
                // Not recorded on disk, so not changed: the next attempt writes the sidecar again.
                Sidecar.Clean = true;
                throw;
            }
        }
    }

    /// <summary>
    /// Records that the bytes changed (a write, a truncation): the sidecar is written once per change of state, not
    /// per write, and a later write overrides an explicit mtime as it does on a local file.
    /// </summary>
    public async ValueTask MarkBytesChangedAsync(CancellationToken ct)
    {
        if (Sidecar.Clean || !Sidecar.BytesChanged || Sidecar.ModifiedExplicitly)
        {
            var (clean, bytesChanged, modifiedExplicitly) = (Sidecar.Clean, Sidecar.BytesChanged, Sidecar.ModifiedExplicitly);
            Sidecar.Clean = false;
            Sidecar.BytesChanged = true;
            Sidecar.ModifiedExplicitly = false;
            try
            {
                await Sidecar.WriteAsync(SidecarPath, durable: false, ct).ConfigureAwait(false);
            }
            catch
            {
                // Not recorded on disk, so not changed: the next write records it before its bytes.
                (Sidecar.Clean, Sidecar.BytesChanged, Sidecar.ModifiedExplicitly) = (clean, bytesChanged, modifiedExplicitly);
                throw;
            }
        }
    }

    /// <summary>Writes the sidecar again after its metadata changed (chmod, utimes, xattrs), so a crash keeps the change.</summary>
    public ValueTask SaveSidecarAsync(CancellationToken ct) => new(Sidecar.WriteAsync(SidecarPath, durable: false, ct));

    /// <summary>Records a confirmed upload: the staged copy is now the object <paramref name="uploaded"/>, metadata included.</summary>
    public ValueTask MarkUploadedAsync(ObjectInfo uploaded, CancellationToken ct)
    {
        Rebase(uploaded);
        return MarkUploadedAsync(uploaded.Generation, ct);
    }

    /// <summary>
    /// The copy is now based on <paramref name="baseObject"/> (its upload, or the copy a rename made): the next upload's
    /// preconditions and metadata merge start from it. In memory; the next sidecar write records it.
    /// </summary>
    public void Rebase(ObjectInfo baseObject)
    {
        Sidecar.Bucket = baseObject.Bucket;
        Sidecar.ObjectName = baseObject.Name;
        Sidecar.BaseGeneration = baseObject.Generation;
        Sidecar.BaseMetageneration = baseObject.Metageneration;
        Sidecar.BaseMetadata = new Dictionary<string, string>(baseObject.Metadata, StringComparer.Ordinal);
        Sidecar.BaseContentType = baseObject.ContentType;
    }

    /// <summary>
    /// Records a confirmed upload: the staged copy is now based on <paramref name="generation"/> and holds nothing to
    /// upload, which on disk is said by having no sidecar (a data file without one is removed at the next start,
    /// <see cref="StagingArea.DeleteOrphans"/>). Removing the sidecar costs one unlink where writing a clean one
    /// cost a new file and a rename, on the path of every close; the next change writes it again, before its first
    /// byte. The state changes in memory first, so a sidecar that cannot be removed leaves only a stale sidecar
    /// behind, which is harmless: it still names the old base, and a recovery finds the object already holding these
    /// bytes.
    /// </summary>
    public ValueTask MarkUploadedAsync(long generation, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Sidecar.BaseGeneration = generation;
        Sidecar.Clean = true;
        Sidecar.BytesChanged = false;
        Sidecar.ModifiedExplicitly = false;
        File.Delete(SidecarPath);
        return ValueTask.CompletedTask;
    }

    /// <summary>Records that the file lost its name: these bytes are never uploaded, not even by a recovery.</summary>
    public async ValueTask MarkUnlinkedAsync(CancellationToken ct)
    {
        if (!Sidecar.Unlinked)
        {
            Sidecar.Unlinked = true;
            await Sidecar.WriteAsync(SidecarPath, durable: true, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Flushes the staged bytes to the local disk.</summary>
    public void FlushToDisk() => RandomAccess.FlushToDisk(_handle);

    /// <summary>A stream over the staged bytes for the upload (its own file handle).</summary>
    public FileStream OpenReadStream() =>
        new(DataPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, useAsync: true);

    /// <summary>
    /// Closes the file and deletes it and its sidecar (after a confirmed upload, or to discard a copy that must never
    /// be uploaded). The data file goes first: a sidecar without its data file is cleaned up at the next start, while
    /// the bytes without their sidecar are never uploaded either. Returns false when the data file could not be
    /// deleted (a failing disk): the caller says so, since a recovery could then find the copy.
    /// </summary>
    public bool Delete()
    {
        Dispose();
        var dataGone = TryDelete(DataPath);
        var sidecarGone = TryDelete(SidecarPath);
        return dataGone || sidecarGone;
    }

    /// <summary>Closes the file without deleting anything (the process is stopping; recovery will find it).</summary>
    public void Dispose()
    {
        if (Follower is { } follower)
        {
            Follower = null;
            follower.Discarded();
        }

        if (!_disposed)
        {
            _disposed = true;
            _handle.Dispose();
        }
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
