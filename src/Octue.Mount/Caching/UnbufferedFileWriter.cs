using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Octue.Mount.Caching;

/// <summary>
/// Writes a new file around the kernel's page cache (Linux <c>O_DIRECT</c>), for cache files written once and read
/// later, if at all. A buffered write copies every byte into newly allocated page-cache pages and keeps them there
/// beside the copy the kernel already caches for the mounted file: on the 2-core benchmark machine that copy took
/// more of the daemon's CPU than anything else in a cold read (perf: 17-63% of its samples, in
/// <c>copy_folio_from_iter_atomic</c>), and writing 1 GiB with <c>dd</c> cost 0.2-2.2 s of system time buffered
/// against 0.13 s unbuffered. Unbuffered writes need their memory, offsets and lengths aligned to the device's
/// blocks: bytes in page-aligned memory (every downloaded chunk's <see cref="ChunkBuffer"/>) are written as they are,
/// and the rest (the header, a last piece shorter than a page, unaligned memory) goes through a small aligned, pinned
/// bounce buffer in 1 MiB pieces, the last piece padded with zeros and the file cut back to its length. Where the file
/// system refuses unbuffered I/O (or on other systems) the caller writes the usual way. One writer serves one cache
/// folder: the first refusal is remembered, so the folder's later files are written the usual way at once instead of
/// each paying a failed <c>open</c> (or a failed write and a second open) first.
/// </summary>
internal sealed partial class UnbufferedFileWriter
{
    /// <summary>Alignment of memory, offsets and lengths: a page, which covers every common logical block size.</summary>
    public const int Alignment = 4096;
    private const int PieceSize = 1024 * 1024;
    private const int MaxPooledBuffers = 4;
    private const int O_WRONLY = 0x1;
    private const int O_CREAT = 0x40;
    private const int O_TRUNC = 0x200;
    private const int O_DIRECT = 0x4000;
    private const int O_CLOEXEC = 0x80000;
    private const int EINVAL = 22;

    private static readonly ConcurrentBag<byte[]> Pool = [];

    private volatile bool _refused;
    private int _directOpens;

    /// <summary>True once this folder's file system refused unbuffered I/O: every later write here is buffered.</summary>
    public bool Refused => _refused;

    private long _bouncedBytes;

    /// <summary>How many files this writer tried to open unbuffered (tests see that a refusal is not retried).</summary>
    internal int DirectOpens => Volatile.Read(ref _directOpens);

    /// <summary>Bytes copied through the bounce buffer (tests see that aligned memory is written as it is).</summary>
    internal long BouncedBytes => Interlocked.Read(ref _bouncedBytes);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);

    /// <summary>
    /// Writes <paramref name="header"/> (a multiple of <see cref="Alignment"/> bytes) at the file's start and
    /// <paramref name="data"/> right after it, to a new file at <paramref name="path"/>. False, with nothing
    /// written for good, when unbuffered I/O is not available here: the caller then writes the file buffered (it is
    /// opened afresh and truncated).
    /// </summary>
    public async ValueTask<bool> TryWriteAsync(string path, ReadOnlyMemory<byte> header, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (_refused || !OperatingSystem.IsLinux() || header.Length % Alignment != 0)
        {
            return false;
        }
        Interlocked.Increment(ref _directOpens);
        int fd = Open(path, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0x1A4 /* 0644 */);
        if (fd < 0)
        {
            // EINVAL: this file system has no unbuffered I/O (ramfs; tmpfs before Linux 6.6). Other errors (a missing
            // folder, no space) say nothing about it, and the buffered write meets them too.
            if (Marshal.GetLastPInvokeError() == EINVAL)
            {
                _refused = true;
            }
            return false;
        }
        byte[] buffer = Pool.TryTake(out byte[]? pooled) ? pooled : GC.AllocateUninitializedArray<byte>(PieceSize + Alignment, pinned: true);
        try
        {
            using var handle = new SafeFileHandle(fd, ownsHandle: true);
            Memory<byte> bounce = Aligned(buffer);
            await WritePiecesAsync(handle, header, 0, bounce, ct).ConfigureAwait(false);
            int direct = 0;
            using (MemoryHandle pin = data.Pin())
            {
                // Bytes in page-aligned memory (a ChunkBuffer's) go to the file as they are, in one write: only a
                // last piece shorter than a page goes through the bounce buffer. Pinned meanwhile: the alignment
                // checked is the alignment written from.
                if (IsAligned(pin))
                {
                    direct = data.Length / Alignment * Alignment;
                    if (direct > 0)
                    {
                        await RandomAccess.WriteAsync(handle, data[..direct], header.Length, ct).ConfigureAwait(false);
                    }
                }
            }
            await WritePiecesAsync(handle, data[direct..], header.Length + (long)direct, bounce, ct).ConfigureAwait(false);
            if (data.Length % Alignment != 0)
            {
                // The last piece was written padded to a whole block.
                RandomAccess.SetLength(handle, header.Length + (long)data.Length);
            }
            return true;
        }
        catch (IOException)
        {
            // EINVAL from a file system that accepted O_DIRECT at open but not these writes (ENOSPC would fail the
            // buffered write too): the caller starts over, and this folder is written buffered from now on.
            _refused = true;
            return false;
        }
        finally
        {
            if (Pool.Count < MaxPooledBuffers)
            {
                Pool.Add(buffer);
            }
        }
    }

    private async ValueTask WritePiecesAsync(SafeFileHandle handle, ReadOnlyMemory<byte> bytes, long fileOffset, Memory<byte> bounce,
        CancellationToken ct)
    {
        for (int done = 0; done < bytes.Length; done += PieceSize)
        {
            int n = Math.Min(PieceSize, bytes.Length - done);
            bytes.Span.Slice(done, n).CopyTo(bounce.Span);
            Interlocked.Add(ref _bouncedBytes, n);
            int padded = (n + Alignment - 1) / Alignment * Alignment;
            bounce.Span[n..padded].Clear();
            await RandomAccess.WriteAsync(handle, bounce[..padded], fileOffset + done, ct).ConfigureAwait(false);
        }
    }

    private static unsafe bool IsAligned(MemoryHandle pin) => ((nint)pin.Pointer & (Alignment - 1)) == 0;

    /// <summary>The piece-sized part of a pinned buffer that starts on an <see cref="Alignment"/> boundary (pinned: it never moves).</summary>
    private static unsafe Memory<byte> Aligned(byte[] buffer)
    {
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        int skip = (int)((Alignment - (address & (Alignment - 1))) & (Alignment - 1));
        return buffer.AsMemory(skip, PieceSize);
    }
}
