using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Octue.Mount.Windows.Adapter;

namespace Octue.Mount.Windows.Native;

/// <summary>
/// The handful of WinFsp exports the binding calls, bound once through <see cref="NativeLibrary.GetExport"/> as cdecl
/// function pointers (no delegate marshalling; FSP_API functions use the default C calling convention).
/// Also the production <see cref="IWinFspResponder"/>.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class WinFspApi : IWinFspResponder
{
    private static readonly Lazy<WinFspApi> Shared = new(() => new WinFspApi(WinFspLibrary.Load()), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly delegate* unmanaged[Cdecl]<char*, FspVolumeParams*, void*, nint*, int> _create;
    private readonly delegate* unmanaged[Cdecl]<nint, char*, int> _setMountPoint;
    private readonly delegate* unmanaged[Cdecl]<nint, uint, int> _startDispatcher;
    private readonly delegate* unmanaged[Cdecl]<nint, void> _stopDispatcher;
    private readonly delegate* unmanaged[Cdecl]<nint, void> _removeMountPoint;
    private readonly delegate* unmanaged[Cdecl]<nint, void> _delete;
    private readonly delegate* unmanaged[Cdecl]<nint, FspTransactResponse*, void> _sendResponse;
    private readonly delegate* unmanaged[Cdecl]<nint*> _getOperationContext;
    private readonly delegate* unmanaged[Cdecl]<nint, char*> _mountPoint;
    private readonly delegate* unmanaged[Cdecl]<uint*, int> _version;

    private WinFspApi(nint library)
    {
        _create = (delegate* unmanaged[Cdecl]<char*, FspVolumeParams*, void*, nint*, int>)Export(library, "FspFileSystemCreate");
        _setMountPoint = (delegate* unmanaged[Cdecl]<nint, char*, int>)Export(library, "FspFileSystemSetMountPoint");
        _startDispatcher = (delegate* unmanaged[Cdecl]<nint, uint, int>)Export(library, "FspFileSystemStartDispatcher");
        _stopDispatcher = (delegate* unmanaged[Cdecl]<nint, void>)Export(library, "FspFileSystemStopDispatcher");
        _removeMountPoint = (delegate* unmanaged[Cdecl]<nint, void>)Export(library, "FspFileSystemRemoveMountPoint");
        _delete = (delegate* unmanaged[Cdecl]<nint, void>)Export(library, "FspFileSystemDelete");
        _sendResponse = (delegate* unmanaged[Cdecl]<nint, FspTransactResponse*, void>)Export(library, "FspFileSystemSendResponse");
        _getOperationContext = (delegate* unmanaged[Cdecl]<nint*>)Export(library, "FspFileSystemGetOperationContext");
        _mountPoint = (delegate* unmanaged[Cdecl]<nint, char*>)Export(library, "FspFileSystemMountPointF");
        _version = (delegate* unmanaged[Cdecl]<uint*, int>)Export(library, "FspVersion");
    }

    public static WinFspApi Instance => Shared.Value;

    private static nint Export(nint library, string name) =>
        NativeLibrary.TryGetExport(library, name, out nint address)
            ? address
            : throw new WinFspNotInstalledException($"The installed WinFsp has no export {name}; install a current WinFsp from {WinFspLibrary.DownloadUrl}.");

    /// <summary>WinFsp's version as (major, minor), from FspVersion.</summary>
    public (int Major, int Minor) Version()
    {
        uint version;
        int status = _version(&version);
        return status == NtStatus.Success ? ((int)(version >> 16), (int)(version & 0xFFFF)) : (0, 0);
    }

    public int Create(string devicePath, FspVolumeParams* volumeParams, void* interfaceTable, out nint fileSystem)
    {
        nint fs;
        int status;
        fixed (char* device = devicePath)
            status = _create(device, volumeParams, interfaceTable, &fs);
        fileSystem = status == NtStatus.Success ? fs : 0;
        return status;
    }

    /// <summary>Sets the mount point; null picks the next free drive letter from Z: down.</summary>
    public int SetMountPoint(nint fileSystem, string? mountPoint)
    {
        if (mountPoint is null)
            return _setMountPoint(fileSystem, null);
        fixed (char* mp = mountPoint)
            return _setMountPoint(fileSystem, mp);
    }

    public string? MountPoint(nint fileSystem)
    {
        char* mp = _mountPoint(fileSystem);
        return mp == null ? null : new string(mp);
    }

    public int StartDispatcher(nint fileSystem, uint threadCount) => _startDispatcher(fileSystem, threadCount);

    public void StopDispatcher(nint fileSystem) => _stopDispatcher(fileSystem);

    public void RemoveMountPoint(nint fileSystem) => _removeMountPoint(fileSystem);

    public void Delete(nint fileSystem) => _delete(fileSystem);

    public ulong CurrentRequestHint()
    {
        // FSP_FILE_SYSTEM_OPERATION_CONTEXT { FSP_FSCTL_TRANSACT_REQ* Request; FSP_FSCTL_TRANSACT_RSP* Response; }
        nint* context = _getOperationContext();
        byte* request = (byte*)context[0];
        return *(ulong*)(request + FspOffsets.RequestHint);
    }

    public void SendResponse(nint fileSystem, FspTransactResponse* response) => _sendResponse(fileSystem, response);
}
