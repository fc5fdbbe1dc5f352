using System.Runtime.InteropServices;

namespace Octue.Mount.Windows.Tests;

/// <summary>A file context as WinFsp keeps it: a native {UINT64 UserContext; UINT64 UserContext2} block.</summary>
internal sealed unsafe class NativeContext
{
    public NativeContext() => Pointer = (ulong*)NativeMemory.AllocZeroed(16);

    public ulong* Pointer { get; private set; }

    public void Free()
    {
        NativeMemory.Free(Pointer);
        Pointer = null;
    }
}
