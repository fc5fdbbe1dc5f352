using Octue.Mount.Linux.Native;

namespace Octue.Mount.Linux.Session;

/// <summary>
/// An open /dev/fuse connection. Each read returns exactly one request; each write must be one whole reply
/// (the kernel refuses partial writes), so both are single system calls.
/// </summary>
internal sealed unsafe class FuseDevice : IDisposable
{
    private int _fd;

    public FuseDevice(int fd) => _fd = fd;

    public int FileDescriptor => _fd;

    /// <summary>Reads one request into <paramref name="buffer"/>; returns the byte count, or the negated errno.</summary>
    public int Read(Span<byte> buffer)
    {
        fixed (byte* pointer = buffer)
        {
            var n = LibC.Read(_fd, pointer, buffer.Length);
            return n >= 0 ? (int)n : -LibC.LastErrno;
        }
    }

    /// <summary>Writes one reply or notification; returns 0, or the errno the kernel gave back.</summary>
    public int Write(ReadOnlySpan<byte> message)
    {
        fixed (byte* pointer = message)
        {
            var n = LibC.Write(_fd, pointer, message.Length);
            if (n < 0)
                return LibC.LastErrno;
            return n == message.Length ? 0 : Protocol.Errno.EIO;
        }
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            LibC.Close(fd);
    }
}
