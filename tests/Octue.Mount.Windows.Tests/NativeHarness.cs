using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Octue.Mount.Vfs;
using Octue.Mount.Windows.Adapter;
using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows.Tests;

/// <summary>
/// Drives a <see cref="WinFspAdapter"/> exactly as WinFsp does: a fake native FSP_FILE_SYSTEM block whose
/// UserContext slot (offset <see cref="FspOffsets.FileSystemUserContext"/>, per winfsp.h) holds the adapter's
/// GCHandle, and every operation invoked through the function pointer read from the native interface table, with
/// native buffers, on a dedicated thread (WinFsp's dispatcher threads are not pool threads either).
/// </summary>
internal sealed class NativeHarness : IDisposable
{
    private const int FakeFileSystemSize = 1024;
    private readonly GCHandle _adapterHandle;
    private long _hints;

    public NativeHarness(IFileSystem fs, WinFspMountOptions? options = null)
    {
        Responder = new RecordingResponder();
        Adapter = new WinFspAdapter(fs, options ?? new WinFspMountOptions { VolumeLabel = "test-volume" }, Responder);
        FileSystem = NativeBuffers.Alloc(FakeFileSystemSize);
        _adapterHandle = GCHandle.Alloc(Adapter);
        Marshal.WriteIntPtr(FileSystem, FspOffsets.FileSystemUserContext, GCHandle.ToIntPtr(_adapterHandle));
        Adapter.FileSystem = FileSystem;
        Responder.ExpectedFileSystem = FileSystem;
    }

    public WinFspAdapter Adapter { get; }
    public RecordingResponder Responder { get; }
    public nint FileSystem { get; }

    /// <summary>The callback in <paramref name="slot"/>; an empty slot fails the test rather than jumping to NULL.</summary>
    private static unsafe void* Slot(int slot)
    {
        void* callback = FileSystemInterfaceTable.Pointer[slot];
        Assert.True(callback != null, $"slot {slot} of the interface table is empty");
        return callback;
    }

    /// <summary>Runs one native call on its own thread, as a WinFsp dispatcher thread would.</summary>
    private static Task<T> OnDispatcherThread<T>(Func<T> call) =>
        Task.Factory.StartNew(call, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private ulong NextHint() => (ulong)Interlocked.Increment(ref _hints);

    public unsafe Task<(int Status, FspVolumeInfo Info)> GetVolumeInfo() => OnDispatcherThread(() =>
    {
        FspVolumeInfo info;
        var f = (delegate* unmanaged[Cdecl]<nint, FspVolumeInfo*, int>)Slot(FileSystemInterfaceTable.GetVolumeInfo);
        int status = f(FileSystem, &info);
        return (status, info);
    });

    public unsafe Task<(int Status, uint Attributes, byte[] SecurityDescriptor)> GetSecurityByName(string path, int sdCapacity = 256) => OnDispatcherThread(() =>
    {
        uint attributes = 0xDEAD;
        byte* sd = (byte*)NativeMemory.AllocZeroed((nuint)Math.Max(1, sdCapacity));
        try
        {
            nuint size = (nuint)sdCapacity;
            var f = (delegate* unmanaged[Cdecl]<nint, char*, uint*, void*, nuint*, int>)Slot(FileSystemInterfaceTable.GetSecurityByName);
            int status;
            fixed (char* name = path)
                status = f(FileSystem, name, &attributes, sd, &size);
            byte[] bytes = status == NtStatus.Success ? new ReadOnlySpan<byte>(sd, (int)size).ToArray() : new byte[(int)size];
            return (status, attributes, bytes);
        }
        finally
        {
            NativeMemory.Free(sd);
        }
    });

    public unsafe Task<(int Status, NativeContext? Context, FspFileInfo Info)> Create(string path, uint createOptions = 0, uint fileAttributes = 0x80) => OnDispatcherThread(() =>
    {
        var context = new NativeContext();
        FspFileInfo info;
        var f = (delegate* unmanaged[Cdecl]<nint, char*, uint, uint, uint, void*, ulong, ulong*, FspFileInfo*, int>)Slot(FileSystemInterfaceTable.Create);
        int status;
        fixed (char* name = path)
            status = f(FileSystem, name, createOptions, 0x1F01FF, fileAttributes, null, 0, context.Pointer, &info);
        if (status != NtStatus.Success)
        {
            context.Free();
            return (status, (NativeContext?)null, info);
        }
        return (status, context, info);
    });

    /// <summary>Open with the given access mask (FILE_READ_DATA 1, FILE_WRITE_DATA 2, FILE_APPEND_DATA 4, ...).</summary>
    public unsafe Task<(int Status, NativeContext? Context, FspFileInfo Info)> Open(string path, uint grantedAccess = 0x1) => OnDispatcherThread(() =>
    {
        var context = new NativeContext();
        FspFileInfo info;
        var f = (delegate* unmanaged[Cdecl]<nint, char*, uint, uint, ulong*, FspFileInfo*, int>)Slot(FileSystemInterfaceTable.Open);
        int status;
        fixed (char* name = path)
            status = f(FileSystem, name, 0, grantedAccess, context.Pointer, &info);
        if (status != NtStatus.Success)
        {
            context.Free();
            return (status, (NativeContext?)null, info);
        }
        return (status, context, info);
    });

    public unsafe Task<(int Status, FspFileInfo Info)> Overwrite(NativeContext context, uint fileAttributes = 0x80, bool replaceAttributes = false) => OnDispatcherThread(() =>
    {
        FspFileInfo info;
        var f = (delegate* unmanaged[Cdecl]<nint, ulong*, uint, byte, ulong, FspFileInfo*, int>)Slot(FileSystemInterfaceTable.Overwrite);
        int status = f(FileSystem, context.Pointer, fileAttributes, replaceAttributes ? (byte)1 : (byte)0, 0, &info);
        return (status, info);
    });

    public unsafe Task Cleanup(NativeContext context, string? path, uint flags) => OnDispatcherThread(() =>
    {
        var f = (delegate* unmanaged[Cdecl]<nint, ulong*, char*, uint, void>)Slot(FileSystemInterfaceTable.Cleanup);
        fixed (char* name = path)
            f(FileSystem, context.Pointer, path is null ? null : name, flags);
        return 0;
    });

    public unsafe Task Close(NativeContext context) => OnDispatcherThread(() =>
    {
        var f = (delegate* unmanaged[Cdecl]<nint, ulong*, void>)Slot(FileSystemInterfaceTable.Close);
        f(FileSystem, context.Pointer);
        context.Free();
        return 0;
    });

    /// <summary>Read through slot 8; a STATUS_PENDING answer is followed to its FspFileSystemSendResponse.</summary>
    public async Task<(int Status, byte[] Data, bool WentPending)> Read(NativeContext context, ulong offset, uint length)
    {
        nint buffer = NativeBuffers.Alloc(length);
        try
        {
            ulong hint = NextHint();
            (int status, uint bytes) = await OnDispatcherThread(() => InvokeRead(context, buffer, offset, length, hint));
            bool pending = status == NtStatus.Pending;
            if (pending)
            {
                SentResponse response = await Responder.ResponseFor(hint).WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Equal(TransactKind.Read, response.Kind);
                (status, bytes) = (response.Status, response.Information);
            }
            return (status, NativeBuffers.ToArray(buffer, bytes), pending);
        }
        finally
        {
            NativeBuffers.Free(buffer);
        }
    }

    private unsafe (int, uint) InvokeRead(NativeContext context, nint buffer, ulong offset, uint length, ulong hint)
    {
        RecordingResponder.SetCurrentHint(hint);
        uint transferred = 0;
        var f = (delegate* unmanaged[Cdecl]<nint, ulong*, void*, ulong, uint, uint*, int>)Slot(FileSystemInterfaceTable.Read);
        int s = f(FileSystem, context.Pointer, (void*)buffer, offset, length, &transferred);
        return (s, transferred);
    }

    public async Task<(int Status, uint Written, FspFileInfo Info, bool WentPending)> Write(NativeContext context, ulong offset, byte[] data,
        bool writeToEndOfFile = false, bool constrainedIo = false)
    {
        nint buffer = NativeBuffers.From(data);
        try
        {
            ulong hint = NextHint();
            (int status, uint written, FspFileInfo info) = await OnDispatcherThread(
                () => InvokeWrite(context, buffer, offset, (uint)data.Length, writeToEndOfFile, constrainedIo, hint));
            bool pending = status == NtStatus.Pending;
            if (pending)
            {
                SentResponse response = await Responder.ResponseFor(hint).WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Equal(TransactKind.Write, response.Kind);
                (status, written, info) = (response.Status, response.Information, response.FileInfo);
            }
            return (status, written, info, pending);
        }
        finally
        {
            NativeBuffers.Free(buffer);
        }
    }

    private unsafe (int, uint, FspFileInfo) InvokeWrite(NativeContext context, nint buffer, ulong offset, uint length,
        bool writeToEndOfFile, bool constrainedIo, ulong hint)
    {
        RecordingResponder.SetCurrentHint(hint);
        uint transferred = 0;
        FspFileInfo fi = default;
        var f = (delegate* unmanaged[Cdecl]<nint, ulong*, void*, ulong, uint, byte, byte, uint*, FspFileInfo*, int>)Slot(FileSystemInterfaceTable.Write);
        int s = f(FileSystem, context.Pointer, (void*)buffer, offset, length, writeToEndOfFile ? (byte)1 : (byte)0,
            constrainedIo ? (byte)1 : (byte)0, &transferred, &fi);
        return (s, transferred, fi);
    }

    public unsafe Task<(int Status, FspFileInfo Info)> Flush(NativeContext? context) => OnDispatcherThread(() =>
    {
        FspFileInfo info;
        var f = (delegate* unmanaged[Cdecl]<nint, ulong*, FspFileInfo*, int>)Slot(FileSystemInterfaceTable.Flush);
        int status = f(FileSystem, context is null ? null : context.Pointer, &info);
        return (status, info);
    });

    public unsafe Task<(int Status, FspFileInfo Info)> GetFileInfo(NativeContext context) => OnDispatcherThread(() =>
    {
        FspFileInfo info;
        var f = (delegate* unmanaged[Cdecl]<nint, ulong*, FspFileInfo*, int>)Slot(FileSystemInterfaceTable.GetFileInfo);
        int status = f(FileSystem, context.Pointer, &info);
        return (status, info);
    });

    public unsafe Task<(int Status, FspFileInfo Info)> SetBasicInfo(NativeContext context, uint attributes, ulong lastWriteTime) => OnDispatcherThread(() =>
    {
        FspFileInfo info;
        var f = (delegate* unmanaged[Cdecl]<nint, ulong*, uint, ulong, ulong, ulong, ulong, FspFileInfo*, int>)Slot(FileSystemInterfaceTable.SetBasicInfo);
        int status = f(FileSystem, context.Pointer, attributes, 0, 0, lastWriteTime, 0, &info);
        return (status, info);
    });

    public unsafe Task<(int Status, FspFileInfo Info)> SetFileSize(NativeContext context, ulong size, bool allocationOnly = false) => OnDispatcherThread(() =>
    {
        FspFileInfo info;
        var f = (delegate* unmanaged[Cdecl]<nint, ulong*, ulong, byte, FspFileInfo*, int>)Slot(FileSystemInterfaceTable.SetFileSize);
        int status = f(FileSystem, context.Pointer, size, allocationOnly ? (byte)1 : (byte)0, &info);
        return (status, info);
    });

    public unsafe Task<int> CanDelete(NativeContext context, string path) => OnDispatcherThread(() =>
    {
        var f = (delegate* unmanaged[Cdecl]<nint, ulong*, char*, int>)Slot(FileSystemInterfaceTable.CanDelete);
        fixed (char* name = path)
            return f(FileSystem, context.Pointer, name);
    });

    public unsafe Task<int> SetDelete(NativeContext context, string path, bool deleteFile) => OnDispatcherThread(() =>
    {
        var f = (delegate* unmanaged[Cdecl]<nint, ulong*, char*, byte, int>)Slot(FileSystemInterfaceTable.SetDelete);
        fixed (char* name = path)
            return f(FileSystem, context.Pointer, name, deleteFile ? (byte)1 : (byte)0);
    });

    public unsafe Task<int> Rename(NativeContext context, string from, string to, bool replaceIfExists) => OnDispatcherThread(() =>
    {
        var f = (delegate* unmanaged[Cdecl]<nint, ulong*, char*, char*, byte, int>)Slot(FileSystemInterfaceTable.Rename);
        fixed (char* a = from)
        fixed (char* b = to)
            return f(FileSystem, context.Pointer, a, b, replaceIfExists ? (byte)1 : (byte)0);
    });

    /// <summary>One ReadDirectory call with a native buffer of <paramref name="length"/> bytes.</summary>
    public async Task<(int Status, byte[] Buffer)> ReadDirectory(NativeContext context, string? marker, uint length)
    {
        nint buffer = NativeBuffers.Alloc(length);
        try
        {
            ulong hint = NextHint();
            (int status, uint bytes) = await OnDispatcherThread(() => InvokeReadDirectory(context, marker, buffer, length, hint));
            if (status == NtStatus.Pending)
            {
                SentResponse response = await Responder.ResponseFor(hint).WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Equal(TransactKind.QueryDirectory, response.Kind);
                (status, bytes) = (response.Status, response.Information);
            }
            return (status, NativeBuffers.ToArray(buffer, bytes));
        }
        finally
        {
            NativeBuffers.Free(buffer);
        }
    }

    private unsafe (int, uint) InvokeReadDirectory(NativeContext context, string? marker, nint buffer, uint length, ulong hint)
    {
        RecordingResponder.SetCurrentHint(hint);
        uint transferred = 0;
        var f = (delegate* unmanaged[Cdecl]<nint, ulong*, char*, char*, void*, uint, uint*, int>)Slot(FileSystemInterfaceTable.ReadDirectory);
        fixed (char* m = marker)
            return (f(FileSystem, context.Pointer, null, marker is null ? null : m, (void*)buffer, length, &transferred), transferred);
    }

    /// <summary>GetDirInfoByName through slot 24, into a buffer sized as WinFsp sizes it (104 + 255 characters).</summary>
    public unsafe Task<(int Status, string Name, FspFileInfo Info)> GetDirInfoByName(NativeContext context, string name) => OnDispatcherThread(() =>
    {
        const int size = 104 + 255 * 2;
        byte* buffer = (byte*)NativeMemory.AllocZeroed(size);
        try
        {
            var f = (delegate* unmanaged[Cdecl]<nint, ulong*, char*, FspDirInfo*, int>)Slot(FileSystemInterfaceTable.GetDirInfoByName);
            int status;
            fixed (char* n = name)
                status = f(FileSystem, context.Pointer, n, (FspDirInfo*)buffer);
            if (status != NtStatus.Success)
                return (status, "", default(FspFileInfo));
            var parsed = Mapping.DirInfoBuffer.Parse(new ReadOnlySpan<byte>(buffer, size), out _);
            return (status, parsed[0].Name, parsed[0].Info);
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    });

    public unsafe Task<(int Status, byte[] Ea)> GetEa(NativeContext context, uint length = 64 * 1024) => OnDispatcherThread(() =>
    {
        byte* buffer = (byte*)NativeMemory.AllocZeroed(length);
        try
        {
            uint transferred = 0;
            var f = (delegate* unmanaged[Cdecl]<nint, ulong*, void*, uint, uint*, int>)Slot(FileSystemInterfaceTable.GetEa);
            int status = f(FileSystem, context.Pointer, buffer, length, &transferred);
            return (status, new ReadOnlySpan<byte>(buffer, (int)transferred).ToArray());
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    });

    public unsafe Task<(int Status, FspFileInfo Info)> SetEa(NativeContext context, byte[] ea) => OnDispatcherThread(() =>
    {
        byte* buffer = (byte*)NativeMemory.Alloc((nuint)ea.Length);
        try
        {
            ea.CopyTo(new Span<byte>(buffer, ea.Length));
            FspFileInfo info;
            var f = (delegate* unmanaged[Cdecl]<nint, ulong*, void*, uint, FspFileInfo*, int>)Slot(FileSystemInterfaceTable.SetEa);
            int status = f(FileSystem, context.Pointer, buffer, (uint)ea.Length, &info);
            return (status, info);
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    });

    public unsafe Task<(int Status, byte[] Sd)> GetSecurity(NativeContext context, int capacity) => OnDispatcherThread(() =>
    {
        byte* sd = (byte*)NativeMemory.AllocZeroed((nuint)Math.Max(1, capacity));
        try
        {
            nuint size = (nuint)capacity;
            var f = (delegate* unmanaged[Cdecl]<nint, ulong*, void*, nuint*, int>)Slot(FileSystemInterfaceTable.GetSecurity);
            int status = f(FileSystem, context.Pointer, sd, &size);
            return (status, status == NtStatus.Success ? new ReadOnlySpan<byte>(sd, (int)size).ToArray() : new byte[(int)size]);
        }
        finally
        {
            NativeMemory.Free(sd);
        }
    });

    public void Dispose()
    {
        _adapterHandle.Free();
        NativeBuffers.Free(FileSystem);
    }
}
