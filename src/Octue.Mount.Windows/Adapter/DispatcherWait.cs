namespace Octue.Mount.Windows.Adapter;

/// <summary>
/// How a synchronous WinFsp callback waits for the VFS.
/// <para>
/// Decision: WinFsp calls the file system on its own dispatcher threads — native threads the DLL creates in
/// <c>FspFileSystemStartDispatcher</c>, not .NET thread-pool threads — and expects the callback's result as its return
/// value. Read, Write and ReadDirectory, the operations that move data and can take long, never wait: they return
/// STATUS_PENDING and answer later with <c>FspFileSystemSendResponse</c> (see <see cref="WinFspAdapter"/>). Every other
/// operation (open, create, stat, rename, delete, EAs, …) blocks its dispatcher thread on the VFS's ValueTask here.
/// That costs one dispatcher thread per in-flight metadata call, exactly as FUSE reader threads do on Linux, and never
/// blocks a pool thread: the VFS's continuations run on the pool, which stays free to complete them.
/// </para>
/// </summary>
internal static class DispatcherWait
{
    public static T Run<T>(ValueTask<T> operation)
    {
        if (operation.IsCompletedSuccessfully)
            return operation.Result;
        // A dedicated native dispatcher thread (documented above): blocking here is the intended design.
        return operation.AsTask().GetAwaiter().GetResult();
    }
}
