using Microsoft.Win32.SafeHandles;
using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// A private local copy of one object generation, for open handles that must keep reading it after the object is
/// deleted or replaced (unlink or rename over a file that is open, as POSIX allows): the bytes are copied, through a
/// verified reader, before the object goes. The copy has no name on disk once made (on Windows it is deleted on close),
/// so nothing outlives the handles, even a crash. Shared by the handles that held the generation: each holds a
/// reference, and the last <see cref="DisposeAsync"/> closes the file. Reads are safe concurrently.
/// </summary>
internal sealed class DetachedCopy : IObjectReader
{
    private const int CopyBufferSize = 1 << 20;

    private readonly SafeFileHandle _file;
    private int _references = 1;

    private DetachedCopy(ObjectInfo obj, SafeFileHandle file)
    {
        Object = obj;
        _file = file;
    }

    /// <inheritdoc/>
    public ObjectInfo Object { get; }

    /// <summary>
    /// Copies every byte <paramref name="source"/> reads of its object into a new file in <paramref name="folder"/>.
    /// The source's own checks apply: a copy whose bytes fail the object's hash is never made.
    /// </summary>
    public static async Task<DetachedCopy> CreateAsync(string folder, IObjectReader source, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, Guid.NewGuid().ToString("N"));
        var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                // Nameless from now on: the bytes live exactly as long as the open file.
                File.Delete(path);
            }

            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(CopyBufferSize);
            try
            {
                var size = source.Object.Size;
                long offset = 0;
                while (offset < size)
                {
                    var read = await source.ReadAsync(offset, buffer.AsMemory(0, CopyBufferSize), ct).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new CorruptionException($"gs://{source.Object.Bucket}/{source.Object.Name} ended at {offset} of {size} bytes");
                    }

                    await RandomAccess.WriteAsync(file, buffer.AsMemory(0, read), offset, ct).ConfigureAwait(false);
                    offset += read;
                }

                if (size == 0)
                {
                    // An empty object is still checked (its hash) by reading it once.
                    await source.ReadAsync(0, buffer.AsMemory(0, 1), ct).ConfigureAwait(false);
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }

            return new DetachedCopy(source.Object, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The bytes of a local file as they are now (a staged copy whose file was unlinked while open: its writer lets
    /// go and nothing will be uploaded), described by <paramref name="obj"/>: the file is opened again, so it lives on
    /// here when its name is deleted.
    /// </summary>
    public static DetachedCopy Adopt(string path, ObjectInfo obj) =>
        new(obj, File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous));

    /// <summary>Another handle holds the copy; it releases its reference with <see cref="DisposeAsync"/>.</summary>
    public DetachedCopy AddReference()
    {
        Interlocked.Increment(ref _references);
        return this;
    }

    /// <inheritdoc/>
    public async ValueTask<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _references) <= 0, this);
        var size = Object.Size;
        if (offset >= size || buffer.IsEmpty)
        {
            return 0;
        }

        var wanted = (int)Math.Min(buffer.Length, size - offset);
        var total = 0;
        while (total < wanted)
        {
            var read = await RandomAccess.ReadAsync(_file, buffer.Slice(total, wanted - total), offset + total, ct).ConfigureAwait(false);
            if (read == 0)
            {
                throw new CorruptionException($"The local copy of gs://{Object.Bucket}/{Object.Name} is shorter than the object");
            }

            total += read;
        }

        return total;
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _file.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
