using Microsoft.Extensions.Logging;
using Octue.Mount.Vfs;
using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows.Adapter;

internal sealed partial class WinFspAdapter
{
    /// <summary>
    /// Completes Read, Write or ReadDirectory. When the VFS already finished (cache hits, small listings) the result
    /// is returned directly; otherwise the request's hint is taken now, while still on the dispatcher thread that owns
    /// the operation context, STATUS_PENDING is returned, and the response is sent with FspFileSystemSendResponse when
    /// the VFS completes. The data buffer belongs to the pending request and stays valid until that response.
    /// </summary>
    public unsafe int Complete(ValueTask<IoResult> operation, uint kind, uint* bytesTransferred, FspFileInfo* fileInfo)
    {
        if (operation.IsCompleted)
        {
            IoResult result = Outcome(operation);
            *bytesTransferred = result.BytesTransferred;
            if (fileInfo != null && result.Status == NtStatus.Success)
                *fileInfo = result.FileInfo;
            return result.Status;
        }

        ulong hint = _responder.CurrentRequestHint();
        Interlocked.Increment(ref _inFlight);
        _ = RespondLaterAsync(operation, kind, hint);
        return NtStatus.Pending;
    }

    private async Task RespondLaterAsync(ValueTask<IoResult> operation, uint kind, ulong hint)
    {
        try
        {
            IoResult result;
            try
            {
                result = await operation.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _log.LogError(e, "Asynchronous WinFsp operation (kind {Kind}) failed", kind);
                result = IoResult.Fail(e is OperationCanceledException ? NtStatus.Cancelled : NtStatus.UnexpectedIoError);
            }
            Send(kind, hint, result);
        }
        catch (Exception e)
        {
            _log.LogError(e, "Sending the WinFsp response (kind {Kind}) failed", kind);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private unsafe void Send(uint kind, ulong hint, in IoResult result)
    {
        FspTransactResponse response = default;
        response.Size = (ushort)sizeof(FspTransactResponse);
        response.Kind = kind;
        response.Hint = hint;
        response.IoStatusStatus = result.Status;
        response.IoStatusInformation = result.BytesTransferred;
        if (kind == TransactKind.Write && result.Status == NtStatus.Success)
            response.WriteFileInfo = result.FileInfo;
        _responder.SendResponse(FileSystem, &response);
    }

    private IoResult Outcome(ValueTask<IoResult> completed)
    {
        try
        {
            return completed.Result;
        }
        catch (Exception e)
        {
            _log.LogError(e, "WinFsp data operation failed");
            return IoResult.Fail(e is OperationCanceledException ? NtStatus.Cancelled : NtStatus.UnexpectedIoError);
        }
    }

    /// <summary>
    /// Unmount: cancels what is still running, waits (bounded) for pending responses, then releases every file Windows
    /// never closed — releasing uploads staged bytes, so nothing written is dropped by an unmount.
    /// Returns the GCHandles of those files so the caller can free them.
    /// </summary>
    public async Task<List<nint>> ShutdownAsync()
    {
        var deadline = DateTime.UtcNow + ShutdownDrainTimeout;
        while (Volatile.Read(ref _inFlight) > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(20).ConfigureAwait(false);
        if (Volatile.Read(ref _inFlight) > 0)
            _log.LogWarning("{Count} WinFsp operations still running at unmount", Volatile.Read(ref _inFlight));

        var handles = new List<nint>();
        foreach (OpenFile file in _open.Keys)
        {
            if (Interlocked.Exchange(ref file.Closed, 1) != 0)
                continue;
            _open.TryRemove(file, out _);
            if (file.Handle is ulong handle)
            {
                VfsError error = await _fs.ReleaseAsync(handle, CancellationToken.None).ConfigureAwait(false);
                if (error != VfsError.None)
                    _log.LogError("Releasing node {Node} at unmount failed: {Error}", file.Node, error);
            }
            if (file.HoldsLookup)
                _fs.Forget(file.Node, 1);
            if (file.ContextHandle != 0)
                handles.Add(file.ContextHandle);
        }
        await _shutdown.CancelAsync().ConfigureAwait(false);
        return handles;
    }
}
