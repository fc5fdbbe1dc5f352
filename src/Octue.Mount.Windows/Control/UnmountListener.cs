using System.IO.Pipes;
using Microsoft.Extensions.Logging;

namespace Octue.Mount.Windows.Control;

/// <summary>
/// The serving side of <c>octue-mount unmount</c> on Windows: accepts connections on the mount's pipe
/// (<see cref="UnmountPipeName"/>), completes <see cref="Requested"/> when one asks to unmount, and tells every
/// requester how the unmount ended once <see cref="ReportUnmounted"/> is called. A new pipe instance waits for the
/// next client while one is served, so a second <c>unmount</c> during a long unmount is answered too.
/// </summary>
internal sealed class UnmountListener : IAsyncDisposable
{
    private readonly string _pipeName;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string?> _unmounted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;

    private UnmountListener(string pipeName, NamedPipeServerStream first, ILogger log)
    {
        _pipeName = pipeName;
        _log = log;
        _accepting = AcceptAsync(first);
    }

    /// <summary>Completes when a client asked for the unmount.</summary>
    public Task Requested => _requested.Task;

    /// <summary>
    /// Starts listening on <paramref name="pipeName"/>. The first pipe instance is created here, so a failure to
    /// create it (a pipe of that name held by another user) is thrown to the caller rather than lost.
    /// </summary>
    public static UnmountListener Start(string pipeName, ILogger log) => new(pipeName, UnmountPipe.CreateServer(pipeName), log);

    /// <summary>Tells the clients waiting on the unmount how it ended: null when it succeeded, else why it failed.</summary>
    public void ReportUnmounted(string? failure) => _unmounted.TrySetResult(failure);

    private async Task AcceptAsync(NamedPipeServerStream server)
    {
        try
        {
            while (true)
            {
                try
                {
                    await server.WaitForConnectionAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    // A client that connected and went away at once (ERROR_NO_DATA): wait for the next one.
                    _log.LogDebug(e, "An unmount client left before it was served");
                    await server.DisposeAsync().ConfigureAwait(false);
                    server = UnmountPipe.CreateServer(_pipeName);
                    continue;
                }
                catch
                {
                    await server.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
                lock (_connections)
                    _connections.Add(ServeAsync(server));
                server = UnmountPipe.CreateServer(_pipeName);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _log.LogWarning(e, "The unmount pipe stopped accepting: 'octue-mount unmount' will not reach this mount (Ctrl+C still does)");
        }
    }

    private async Task ServeAsync(NamedPipeServerStream connection)
    {
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                await UnmountProtocol.ServeAsync(connection, () => _requested.TrySetResult(), _unmounted.Task, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away, or the listener is closing: nothing to answer.
                _log.LogDebug(e, "An unmount request ended early");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Replies already due (ReportUnmounted was called) are written before the pipes close.
        if (_unmounted.Task.IsCompleted)
        {
            Task[] due;
            lock (_connections)
                due = [.. _connections];
            await Task.WhenAll(due).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await _accepting.ConfigureAwait(false);
        Task[] all;
        lock (_connections)
            all = [.. _connections];
        await Task.WhenAll(all).ConfigureAwait(false);
        _stop.Dispose();
    }
}
