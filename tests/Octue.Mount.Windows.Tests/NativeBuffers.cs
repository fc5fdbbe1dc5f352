using System.Runtime.InteropServices;

namespace Octue.Mount.Windows.Tests;

/// <summary>Zeroed native buffers for the harness (freed by the caller).</summary>
internal static unsafe class NativeBuffers
{
    public static nint Alloc(uint length) => (nint)NativeMemory.AllocZeroed(Math.Max(1u, length));

    public static nint From(byte[] data)
    {
        nint buffer = Alloc((uint)data.Length);
        data.CopyTo(new Span<byte>((void*)buffer, data.Length));
        return buffer;
    }

    public static byte[] ToArray(nint buffer, uint length) => new ReadOnlySpan<byte>((void*)buffer, (int)length).ToArray();

    public static void Free(nint buffer) => NativeMemory.Free((void*)buffer);
}
