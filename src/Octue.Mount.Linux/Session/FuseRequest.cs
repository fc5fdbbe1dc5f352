using Octue.Mount.Linux.Protocol;

namespace Octue.Mount.Linux.Session;

/// <summary>
/// One request read from /dev/fuse: its header, the pooled buffer holding it, and the token an INTERRUPT cancels.
/// It is answered exactly once; <see cref="Replied"/> guards against a second answer after a handler failure.
/// </summary>
internal sealed class FuseRequest : IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();

    public FuseRequest(in FuseInHeader header, byte[] buffer, int length)
    {
        Header = header;
        Buffer = buffer;
        Length = length;
        // Extension blocks (total_extlen × 8 bytes) sit after the arguments; none is negotiated, but stay exact.
        var argsEnd = Math.Max(FuseInHeader.Size, length - header.TotalExtLength * 8);
        ArgsLength = argsEnd - FuseInHeader.Size;
    }

    public FuseInHeader Header { get; }

    public ulong Unique => Header.Unique;

    public ulong NodeId => Header.NodeId;

    public byte[] Buffer { get; }

    public int Length { get; }

    public int ArgsLength { get; }

    public ReadOnlySpan<byte> Args => Buffer.AsSpan(FuseInHeader.Size, ArgsLength);

    /// <summary>Arguments from <paramref name="offset"/> (relative to the arguments) as memory, for WRITE payloads.</summary>
    public ReadOnlyMemory<byte> ArgsMemory(int offset, int length) => Buffer.AsMemory(FuseInHeader.Size + offset, length);

    public CancellationToken Token => _cancellation.Token;

    public bool Replied { get; set; }

    public bool Interrupted => _cancellation.IsCancellationRequested;

    public void Interrupt()
    {
        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The request finished between the lookup and the cancel: nothing left to interrupt.
        }
    }

    public void Dispose() => _cancellation.Dispose();
}
