using System.Collections.Concurrent;
using Octue.Mount.Windows.Adapter;
using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows.Tests;

/// <summary>
/// Stands in for the WinFsp DLL on Linux: hands each call a request hint (as FspFileSystemGetOperationContext would)
/// and records FspFileSystemSendResponse calls, so STATUS_PENDING completions can be awaited.
/// </summary>
internal sealed unsafe class RecordingResponder : IWinFspResponder
{
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<SentResponse>> _responses = new();
    [ThreadStatic] private static ulong _currentHint;

    public nint ExpectedFileSystem { get; set; }

    public int Sent;

    public static void SetCurrentHint(ulong hint) => _currentHint = hint;

    public ulong CurrentRequestHint() => _currentHint;

    public Task<SentResponse> ResponseFor(ulong hint) => Waiter(hint).Task;

    public void SendResponse(nint fileSystem, FspTransactResponse* response)
    {
        Assert.Equal(ExpectedFileSystem, fileSystem);
        Assert.Equal(128, response->Size);
        Interlocked.Increment(ref Sent);
        Waiter(response->Hint).TrySetResult(new SentResponse(response->Kind, response->Hint, response->IoStatusStatus,
            response->IoStatusInformation, response->WriteFileInfo));
    }

    private TaskCompletionSource<SentResponse> Waiter(ulong hint) =>
        _responses.GetOrAdd(hint, _ => new TaskCompletionSource<SentResponse>(TaskCreationOptions.RunContinuationsAsynchronously));
}
