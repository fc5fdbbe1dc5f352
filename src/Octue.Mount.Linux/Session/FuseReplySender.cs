using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Octue.Mount.Linux.Protocol;

namespace Octue.Mount.Linux.Session;

/// <summary>
/// Writes replies: each is one write(2) whose length equals the header's <c>len</c>; errors are 16 bytes with a
/// negative errno. A failed write is logged (ENOENT just means the request was interrupted or aborted meanwhile).
/// </summary>
internal sealed class FuseReplySender
{
    private readonly FuseDevice _device;
    private readonly ILogger _logger;

    public FuseReplySender(FuseDevice device, ILogger logger)
    {
        _device = device;
        _logger = logger;
    }

    public bool Error(FuseRequest request, int errno)
    {
        Span<byte> buffer = stackalloc byte[FuseOutHeader.Size];
        FuseReplyEncoder.WriteError(buffer, request.Unique, errno);
        return Send(request, buffer);
    }

    /// <summary>An error reply to a unique that has no <see cref="FuseRequest"/> (INTERRUPT's EAGAIN, a refused INIT).</summary>
    public bool Error(ulong unique, int errno)
    {
        Span<byte> buffer = stackalloc byte[FuseOutHeader.Size];
        FuseReplyEncoder.WriteError(buffer, unique, errno);
        return Write(unique, buffer);
    }

    public bool Empty(FuseRequest request)
    {
        Span<byte> buffer = stackalloc byte[FuseOutHeader.Size];
        FuseReplyEncoder.WriteEmpty(buffer, request.Unique);
        return Send(request, buffer);
    }

    /// <summary>A success reply without payload to a unique that has no <see cref="FuseRequest"/> (DESTROY).</summary>
    public bool Empty(ulong unique)
    {
        Span<byte> buffer = stackalloc byte[FuseOutHeader.Size];
        FuseReplyEncoder.WriteEmpty(buffer, unique);
        return Write(unique, buffer);
    }

    public bool Struct<T>(FuseRequest request, in T payload) where T : unmanaged
    {
        Span<byte> buffer = stackalloc byte[FuseOutHeader.Size + Unsafe.SizeOf<T>()];
        FuseReplyEncoder.WriteStruct(buffer, request.Unique, in payload);
        return Send(request, buffer);
    }

    public bool Struct<T>(ulong unique, in T payload) where T : unmanaged
    {
        Span<byte> buffer = stackalloc byte[FuseOutHeader.Size + Unsafe.SizeOf<T>()];
        FuseReplyEncoder.WriteStruct(buffer, unique, in payload);
        return Write(unique, buffer);
    }

    public bool Structs<T1, T2>(FuseRequest request, in T1 first, in T2 second) where T1 : unmanaged where T2 : unmanaged
    {
        Span<byte> buffer = stackalloc byte[FuseOutHeader.Size + Unsafe.SizeOf<T1>() + Unsafe.SizeOf<T2>()];
        FuseReplyEncoder.WriteStructs(buffer, request.Unique, in first, in second);
        return Send(request, buffer);
    }

    /// <summary>Sends a reply whose payload was already placed at offset 16 of <paramref name="buffer"/>.</summary>
    public bool Data(FuseRequest request, byte[] buffer, int payloadLength)
    {
        var total = FuseReplyEncoder.WriteDataHeader(buffer, request.Unique, payloadLength);
        return Send(request, buffer.AsSpan(0, total));
    }

    /// <summary>Sends a small payload (READLINK target, xattr value or names).</summary>
    public bool Bytes(FuseRequest request, ReadOnlySpan<byte> payload)
    {
        var total = FuseOutHeader.Size + payload.Length;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(total);
        try
        {
            payload.CopyTo(buffer.AsSpan(FuseOutHeader.Size));
            return Data(request, buffer, payload.Length);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Sends a notification; returns 0 or the errno the kernel answered with.</summary>
    public int Notify(ReadOnlySpan<byte> message) => _device.Write(message);

    private bool Send(FuseRequest request, ReadOnlySpan<byte> message)
    {
        request.Replied = true;
        return Write(request.Unique, message);
    }

    private bool Write(ulong unique, ReadOnlySpan<byte> message)
    {
        var errno = _device.Write(message);
        if (errno == 0)
            return true;
        if (errno == Errno.ENOENT || errno == Errno.ENODEV)
            _logger.LogDebug("Reply to request {Unique} dropped by the kernel: {Error}", unique, Native.LibC.Describe(errno));
        else
            _logger.LogError("Reply to request {Unique} refused by the kernel: {Error}", unique, Native.LibC.Describe(errno));
        return false;
    }
}
