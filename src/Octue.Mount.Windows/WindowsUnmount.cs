using Octue.Mount.Windows.Control;

namespace Octue.Mount.Windows;

/// <summary>
/// <c>octue-mount unmount X:</c> on Windows: asks the process serving that mount, over its pipe
/// (<see cref="UnmountPipeName"/>), to unmount, and waits until it has (staged bytes uploaded, mount point removed).
/// </summary>
public static class WindowsUnmount
{
    /// <summary>How long to look for the mount's pipe before concluding that nothing of this user is mounted there.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Exit codes: 0 once unmounted; 1 when nothing of this user is mounted there, or the unmount failed.</summary>
    public static Task<int> RunAsync(string mountPoint, TextWriter output, TextWriter error, CancellationToken ct) =>
        RunAsync(mountPoint, UnmountPipeName.For(mountPoint, UnmountPipeName.CurrentUser()), ConnectTimeout, output, error, ct);

    internal static async Task<int> RunAsync(string mountPoint, string pipeName, TimeSpan connectTimeout, TextWriter output,
        TextWriter error, CancellationToken ct)
    {
        UnmountReply reply = await RequestAsync(pipeName, connectTimeout,
            () => output.WriteLine($"Unmounting {mountPoint} (finishing uploads)..."), ct).ConfigureAwait(false);
        switch (reply.Outcome)
        {
            case UnmountOutcome.Unmounted:
                await output.WriteLineAsync($"Unmounted {mountPoint}.").ConfigureAwait(false);
                return 0;
            case UnmountOutcome.NotMounted:
                await error.WriteLineAsync($"octue-mount: {mountPoint} is not an octue-mount mount of yours " +
                    "(no 'octue-mount mount' of this user serves it).").ConfigureAwait(false);
                return 1;
            default:
                await error.WriteLineAsync($"octue-mount: unmounting {mountPoint} failed: {reply.Reason}").ConfigureAwait(false);
                return 1;
        }
    }

    /// <summary>Connects to the mount's pipe and runs the request; a pipe that does not answer means "not mounted".</summary>
    internal static async Task<UnmountReply> RequestAsync(string pipeName, TimeSpan connectTimeout, Action? accepted, CancellationToken ct)
    {
        await using var client = UnmountPipe.CreateClient(pipeName);
        try
        {
            await client.ConnectAsync(connectTimeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return new UnmountReply(UnmountOutcome.NotMounted);
        }
        catch (UnauthorizedAccessException)
        {
            // A pipe of that name exists but is another user's (CurrentUserOnly refused it): not a mount of ours.
            return new UnmountReply(UnmountOutcome.NotMounted);
        }
        try
        {
            return await UnmountProtocol.RequestAsync(client, accepted, ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            return new UnmountReply(UnmountOutcome.Failed, e.Message);
        }
    }
}
