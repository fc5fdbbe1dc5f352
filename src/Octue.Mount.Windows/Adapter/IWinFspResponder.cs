using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows.Adapter;

/// <summary>
/// The two WinFsp services an asynchronous completion needs: the hint of the request being served on this dispatcher
/// thread (<c>FspFileSystemGetOperationContext()->Request->Hint</c>) and <c>FspFileSystemSendResponse</c>.
/// On Windows they are the DLL's exports; tests provide their own so the callbacks run anywhere.
/// </summary>
internal unsafe interface IWinFspResponder
{
    ulong CurrentRequestHint();

    void SendResponse(nint fileSystem, FspTransactResponse* response);
}
