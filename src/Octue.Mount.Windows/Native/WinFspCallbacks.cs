using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Octue.Mount.Windows.Adapter;

namespace Octue.Mount.Windows.Native;

/// <summary>
/// The entry points WinFsp calls, one per slot of <see cref="FileSystemInterfaceTable"/>. Each is a static
/// <c>[UnmanagedCallersOnly]</c> cdecl function that finds its <see cref="WinFspAdapter"/> through
/// <c>FSP_FILE_SYSTEM.UserContext</c> and its <see cref="OpenFile"/> through the full file context, converts the
/// native arguments, and never lets a managed exception escape into native code: anything thrown becomes
/// STATUS_UNEXPECTED_IO_ERROR (or STATUS_CANCELLED) and is logged.
/// <para>
/// File contexts use WinFsp's UmFileContextIsFullContext scheme: the FileContext argument points at
/// <c>{UINT64 UserContext; UINT64 UserContext2}</c>. UserContext is per file node and shared by all opens of a file
/// (the kernel keeps the first open's value), so it only carries the node id for diagnostics; UserContext2 is per
/// open and carries the GCHandle of the <see cref="OpenFile"/>, which is all the callbacks read.
/// </para>
/// </summary>
internal static unsafe class WinFspCallbacks
{
    private static WinFspAdapter AdapterOf(nint fileSystem)
    {
        nint userContext = *(nint*)((byte*)fileSystem + FspOffsets.FileSystemUserContext);
        return (WinFspAdapter)GCHandle.FromIntPtr(userContext).Target!;
    }

    private static OpenFile FileOf(ulong* fullContext) => (OpenFile)GCHandle.FromIntPtr((nint)fullContext[1]).Target!;

    private static string? String(char* value) => value == null ? null : new string(value);

    private static void SetContext(ulong* fullContext, OpenFile file)
    {
        nint handle = GCHandle.ToIntPtr(GCHandle.Alloc(file));
        file.ContextHandle = handle;
        fullContext[0] = file.Node;
        fullContext[1] = (ulong)handle;
    }

    private static int Failed(nint fileSystem, Exception e, [CallerMemberName] string operation = "")
    {
        try
        {
            AdapterOf(fileSystem).Log.LogError(e, "WinFsp {Operation} failed with an exception", operation);
        }
        catch (Exception)
        {
            // The adapter itself cannot be reached: the status below is all that can be reported.
        }
        return e is OperationCanceledException ? NtStatus.Cancelled : NtStatus.UnexpectedIoError;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int GetVolumeInfo(nint fileSystem, FspVolumeInfo* volumeInfo)
    {
        try { return AdapterOf(fileSystem).GetVolumeInfo(volumeInfo); }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int GetSecurityByName(nint fileSystem, char* fileName, uint* fileAttributes, void* securityDescriptor, nuint* securityDescriptorSize)
    {
        try
        {
            int status = AdapterOf(fileSystem).GetSecurityByName(new string(fileName), out uint attributes);
            if (status != NtStatus.Success)
                return status;
            if (fileAttributes != null)
                *fileAttributes = attributes;
            return WinFspAdapter.CopySecurityDescriptor(securityDescriptor, securityDescriptorSize);
        }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int Create(nint fileSystem, char* fileName, uint createOptions, uint grantedAccess, uint fileAttributes,
        void* securityDescriptor, ulong allocationSize, ulong* fullContext, FspFileInfo* fileInfo)
    {
        try
        {
            int status = AdapterOf(fileSystem).Create(new string(fileName), createOptions, fileAttributes, out OpenFile? file, out FspFileInfo info);
            if (status == NtStatus.Success)
            {
                SetContext(fullContext, file!);
                *fileInfo = info;
            }
            return status;
        }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int Open(nint fileSystem, char* fileName, uint createOptions, uint grantedAccess, ulong* fullContext, FspFileInfo* fileInfo)
    {
        try
        {
            int status = AdapterOf(fileSystem).Open(new string(fileName), grantedAccess, out OpenFile? file, out FspFileInfo info);
            if (status == NtStatus.Success)
            {
                SetContext(fullContext, file!);
                *fileInfo = info;
            }
            return status;
        }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int Overwrite(nint fileSystem, ulong* fullContext, uint fileAttributes, byte replaceFileAttributes, ulong allocationSize, FspFileInfo* fileInfo)
    {
        try
        {
            int status = AdapterOf(fileSystem).Overwrite(FileOf(fullContext), fileAttributes, replaceFileAttributes != 0, out FspFileInfo info);
            if (status == NtStatus.Success)
                *fileInfo = info;
            return status;
        }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Cleanup(nint fileSystem, ulong* fullContext, char* fileName, uint flags)
    {
        try { AdapterOf(fileSystem).Cleanup(FileOf(fullContext), String(fileName), flags); }
        catch (Exception e) { Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Close(nint fileSystem, ulong* fullContext)
    {
        try
        {
            var handle = GCHandle.FromIntPtr((nint)fullContext[1]);
            OpenFile file = (OpenFile)handle.Target!;
            try
            {
                AdapterOf(fileSystem).Close(file);
            }
            finally
            {
                file.ContextHandle = 0;
                handle.Free();
            }
        }
        catch (Exception e) { Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int Read(nint fileSystem, ulong* fullContext, void* buffer, ulong offset, uint length, uint* bytesTransferred)
    {
        try
        {
            WinFspAdapter adapter = AdapterOf(fileSystem);
            var memory = new NativeMemoryManager(buffer, checked((int)length)).Memory;
            return adapter.Complete(adapter.ReadAsync(FileOf(fullContext), memory, offset), TransactKind.Read, bytesTransferred, null);
        }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int Write(nint fileSystem, ulong* fullContext, void* buffer, ulong offset, uint length, byte writeToEndOfFile,
        byte constrainedIo, uint* bytesTransferred, FspFileInfo* fileInfo)
    {
        try
        {
            WinFspAdapter adapter = AdapterOf(fileSystem);
            ReadOnlyMemory<byte> data = new NativeMemoryManager(buffer, checked((int)length)).Memory;
            return adapter.Complete(adapter.WriteAsync(FileOf(fullContext), data, offset, writeToEndOfFile != 0, constrainedIo != 0),
                TransactKind.Write, bytesTransferred, fileInfo);
        }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int Flush(nint fileSystem, ulong* fullContext, FspFileInfo* fileInfo)
    {
        try
        {
            OpenFile? file = fullContext == null ? null : FileOf(fullContext);
            int status = AdapterOf(fileSystem).Flush(file, out FspFileInfo info);
            if (status == NtStatus.Success && file is not null && fileInfo != null)
                *fileInfo = info;
            return status;
        }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int GetFileInfo(nint fileSystem, ulong* fullContext, FspFileInfo* fileInfo)
    {
        try
        {
            int status = AdapterOf(fileSystem).GetFileInfo(FileOf(fullContext), out FspFileInfo info);
            if (status == NtStatus.Success)
                *fileInfo = info;
            return status;
        }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int SetBasicInfo(nint fileSystem, ulong* fullContext, uint fileAttributes, ulong creationTime, ulong lastAccessTime,
        ulong lastWriteTime, ulong changeTime, FspFileInfo* fileInfo)
    {
        try
        {
            int status = AdapterOf(fileSystem).SetBasicInfo(FileOf(fullContext), fileAttributes, lastAccessTime, lastWriteTime, out FspFileInfo info);
            if (status == NtStatus.Success)
                *fileInfo = info;
            return status;
        }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int SetFileSize(nint fileSystem, ulong* fullContext, ulong newSize, byte setAllocationSize, FspFileInfo* fileInfo)
    {
        try
        {
            int status = AdapterOf(fileSystem).SetFileSize(FileOf(fullContext), newSize, setAllocationSize != 0, out FspFileInfo info);
            if (status == NtStatus.Success)
                *fileInfo = info;
            return status;
        }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int CanDelete(nint fileSystem, ulong* fullContext, char* fileName)
    {
        try { return AdapterOf(fileSystem).CanDelete(FileOf(fullContext)); }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int SetDelete(nint fileSystem, ulong* fullContext, char* fileName, byte deleteFile)
    {
        try { return AdapterOf(fileSystem).SetDelete(FileOf(fullContext), deleteFile != 0); }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int Rename(nint fileSystem, ulong* fullContext, char* fileName, char* newFileName, byte replaceIfExists)
    {
        try { return AdapterOf(fileSystem).Rename(FileOf(fullContext), new string(fileName), new string(newFileName), replaceIfExists != 0); }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int GetSecurity(nint fileSystem, ulong* fullContext, void* securityDescriptor, nuint* securityDescriptorSize)
    {
        try { return WinFspAdapter.CopySecurityDescriptor(securityDescriptor, securityDescriptorSize); }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ReadDirectory(nint fileSystem, ulong* fullContext, char* pattern, char* marker, void* buffer, uint length, uint* bytesTransferred)
    {
        try
        {
            WinFspAdapter adapter = AdapterOf(fileSystem);
            // The marker lives in the request buffer, which the dispatcher reuses once this call returns: copy it now.
            string? markerName = String(marker);
            return adapter.Complete(adapter.ReadDirectoryAsync(FileOf(fullContext), markerName, (nint)buffer, length),
                TransactKind.QueryDirectory, bytesTransferred, null);
        }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int GetDirInfoByName(nint fileSystem, ulong* fullContext, char* fileName, FspDirInfo* dirInfo)
    {
        try { return AdapterOf(fileSystem).GetDirInfoByName(FileOf(fullContext), new string(fileName), dirInfo); }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int GetEa(nint fileSystem, ulong* fullContext, void* ea, uint eaLength, uint* bytesTransferred)
    {
        try
        {
            int status = AdapterOf(fileSystem).GetEa(FileOf(fullContext), ea, eaLength, out uint bytes);
            *bytesTransferred = bytes;
            return status;
        }
        catch (Exception e) { return Failed(fileSystem, e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int SetEa(nint fileSystem, ulong* fullContext, void* ea, uint eaLength, FspFileInfo* fileInfo)
    {
        try
        {
            int status = AdapterOf(fileSystem).SetEa(FileOf(fullContext), new ReadOnlySpan<byte>(ea, checked((int)eaLength)), out FspFileInfo info);
            if (status == NtStatus.Success)
                *fileInfo = info;
            return status;
        }
        catch (Exception e) { return Failed(fileSystem, e); }
    }
}
