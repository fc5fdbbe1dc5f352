using System.Runtime.InteropServices;
using Octue.Mount.Windows.Adapter;

namespace Octue.Mount.Windows.Native;

/// <summary>
/// The native <c>FSP_FILE_SYSTEM_INTERFACE</c>: 64 function-pointer slots, unused ones NULL. WinFsp stores the
/// pointer it is given rather than copying the table, so the table must outlive every mount; it is allocated once per
/// process, filled with the addresses of the static <see cref="WinFspCallbacks"/>, and never freed.
/// </summary>
internal static unsafe class FileSystemInterfaceTable
{
    public const int SlotCount = 64;

    // Slot numbers: the member order of FSP_FILE_SYSTEM_INTERFACE in winfsp.h.
    public const int GetVolumeInfo = 0;
    public const int SetVolumeLabel = 1;
    public const int GetSecurityByName = 2;
    public const int Create = 3;
    public const int Open = 4;
    public const int Overwrite = 5;
    public const int Cleanup = 6;
    public const int Close = 7;
    public const int Read = 8;
    public const int Write = 9;
    public const int Flush = 10;
    public const int GetFileInfo = 11;
    public const int SetBasicInfo = 12;
    public const int SetFileSize = 13;
    public const int CanDelete = 14;
    public const int Rename = 15;
    public const int GetSecurity = 16;
    public const int SetSecurity = 17;
    public const int ReadDirectory = 18;
    public const int GetDirInfoByName = 24;
    public const int SetDelete = 26;
    public const int GetEa = 29;
    public const int SetEa = 30;

    private static readonly Lazy<nint> Table = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The process-wide table (built on first use).</summary>
    public static void** Pointer => (void**)Table.Value;

    private static nint Build()
    {
        var slots = (void**)NativeMemory.AllocZeroed((nuint)(SlotCount * sizeof(nint)));
        slots[GetVolumeInfo] = (delegate* unmanaged[Cdecl]<nint, FspVolumeInfo*, int>)&WinFspCallbacks.GetVolumeInfo;
        slots[GetSecurityByName] = (delegate* unmanaged[Cdecl]<nint, char*, uint*, void*, nuint*, int>)&WinFspCallbacks.GetSecurityByName;
        slots[Create] = (delegate* unmanaged[Cdecl]<nint, char*, uint, uint, uint, void*, ulong, ulong*, FspFileInfo*, int>)&WinFspCallbacks.Create;
        slots[Open] = (delegate* unmanaged[Cdecl]<nint, char*, uint, uint, ulong*, FspFileInfo*, int>)&WinFspCallbacks.Open;
        slots[Overwrite] = (delegate* unmanaged[Cdecl]<nint, ulong*, uint, byte, ulong, FspFileInfo*, int>)&WinFspCallbacks.Overwrite;
        slots[Cleanup] = (delegate* unmanaged[Cdecl]<nint, ulong*, char*, uint, void>)&WinFspCallbacks.Cleanup;
        slots[Close] = (delegate* unmanaged[Cdecl]<nint, ulong*, void>)&WinFspCallbacks.Close;
        slots[Read] = (delegate* unmanaged[Cdecl]<nint, ulong*, void*, ulong, uint, uint*, int>)&WinFspCallbacks.Read;
        slots[Write] = (delegate* unmanaged[Cdecl]<nint, ulong*, void*, ulong, uint, byte, byte, uint*, FspFileInfo*, int>)&WinFspCallbacks.Write;
        slots[Flush] = (delegate* unmanaged[Cdecl]<nint, ulong*, FspFileInfo*, int>)&WinFspCallbacks.Flush;
        slots[GetFileInfo] = (delegate* unmanaged[Cdecl]<nint, ulong*, FspFileInfo*, int>)&WinFspCallbacks.GetFileInfo;
        slots[SetBasicInfo] = (delegate* unmanaged[Cdecl]<nint, ulong*, uint, ulong, ulong, ulong, ulong, FspFileInfo*, int>)&WinFspCallbacks.SetBasicInfo;
        slots[SetFileSize] = (delegate* unmanaged[Cdecl]<nint, ulong*, ulong, byte, FspFileInfo*, int>)&WinFspCallbacks.SetFileSize;
        slots[CanDelete] = (delegate* unmanaged[Cdecl]<nint, ulong*, char*, int>)&WinFspCallbacks.CanDelete;
        slots[Rename] = (delegate* unmanaged[Cdecl]<nint, ulong*, char*, char*, byte, int>)&WinFspCallbacks.Rename;
        slots[GetSecurity] = (delegate* unmanaged[Cdecl]<nint, ulong*, void*, nuint*, int>)&WinFspCallbacks.GetSecurity;
        slots[ReadDirectory] = (delegate* unmanaged[Cdecl]<nint, ulong*, char*, char*, void*, uint, uint*, int>)&WinFspCallbacks.ReadDirectory;
        slots[GetDirInfoByName] = (delegate* unmanaged[Cdecl]<nint, ulong*, char*, FspDirInfo*, int>)&WinFspCallbacks.GetDirInfoByName;
        // SetDelete takes precedence over CanDelete when both are set; CanDelete stays for WinFsp versions before 1.4.
        slots[SetDelete] = (delegate* unmanaged[Cdecl]<nint, ulong*, char*, byte, int>)&WinFspCallbacks.SetDelete;
        slots[GetEa] = (delegate* unmanaged[Cdecl]<nint, ulong*, void*, uint, uint*, int>)&WinFspCallbacks.GetEa;
        slots[SetEa] = (delegate* unmanaged[Cdecl]<nint, ulong*, void*, uint, FspFileInfo*, int>)&WinFspCallbacks.SetEa;
        return (nint)slots;
    }
}
