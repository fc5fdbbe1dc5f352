using System.Diagnostics;
using System.Runtime.InteropServices;
using Octue.Mount.Linux;
using Octue.Mount.Linux.Mounting;

namespace Octue.Mount.Cli.Mounting;

/// <summary>
/// Background mode. .NET cannot fork, so the command starts itself again with <c>--foreground --notify-ready</c>;
/// that child starts a new session (setsid), mounts, prints <see cref="ReadyMarker"/> on stdout and then lets go
/// of its standard streams. The parent relays what the child printed and exits 0 on the marker, or with the
/// child's exit code and error message when the child ended without it. Interrupted while it waits (Ctrl-C,
/// SIGTERM, SIGHUP), the parent stops the child it started before it exits: the mount it asked for is never made
/// behind the user's back.
/// </summary>
internal static class DetachedLauncher
{
    public const string ReadyMarker = "octue-mount:ready";
    public const string NotifyReadyOption = "--notify-ready";

    /// <summary>How long a child told to stop may take (it unmounts and removes what it made) before it is killed.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);

    public static async Task<int> LaunchAsync(IReadOnlyList<string> arguments, string mountPoint, CancellationToken ct)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "octue-mount")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Under `dotnet octue-mount.dll` the process is the dotnet host: pass the assembly again.
        if (string.Equals(Path.GetFileNameWithoutExtension(start.FileName), "dotnet", StringComparison.Ordinal))
            start.ArgumentList.Add(typeof(DetachedLauncher).Assembly.Location);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.ArgumentList.Add("--foreground");
        start.ArgumentList.Add(NotifyReadyOption);

        // Which signal stopped the wait decides the exit status (128 + its number, as a shell reports it).
        var signal = 0;
        using var stop = new CancellationTokenSource();
        // The command line cancels this token on the same signals, maybe before the handlers below note which one:
        // give them a moment.
        using var cancelled = ct.Register(() => stop.CancelAfter(TimeSpan.FromMilliseconds(200)));
        void OnSignal(PosixSignalContext context, int number)
        {
            context.Cancel = true;
            Interlocked.CompareExchange(ref signal, number, 0);
            stop.Cancel();
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => OnSignal(context, 2));
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => OnSignal(context, 15));
        using var hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context => OnSignal(context, 1));

        var before = MountTable.Find(mountPoint);
        using var child = Process.Start(start) ?? throw new MountFailedException("Could not start the background mount process.", 1);
        child.StandardInput.Close();
        // Read to the end whatever happens: the child's message is relayed even when the wait was interrupted.
        var errors = child.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            while (await child.StandardOutput.ReadLineAsync(stop.Token).ConfigureAwait(false) is { } line)
            {
                if (line == ReadyMarker)
                    return 0;
                Console.WriteLine(line);
            }
            // The child ended (or closed stdout) without reporting readiness: it failed, and said why on stderr.
            await child.WaitForExitAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            var number = signal == 0 ? 15 : signal;
            await StopChildAsync(child, mountPoint, before).ConfigureAwait(false);
            Console.Error.WriteLine($"octue-mount: interrupted (signal {number}) before {mountPoint} was mounted: the mount was stopped, nothing is mounted.");
            return 128 + number;
        }
        var message = (await errors.ConfigureAwait(false)).TrimEnd();
        if (message.Length > 0)
            Console.Error.WriteLine(message);
        return child.ExitCode != 0 ? child.ExitCode : 1;
    }

    /// <summary>
    /// Tells the child to stop (SIGTERM: it unmounts if it got that far and removes the cache folder it made) and
    /// waits for it; a child that does not end in time is killed, and a mount it left behind is detached.
    /// </summary>
    private static async Task StopChildAsync(Process child, string mountPoint, MountEntry? before)
    {
        if (child.HasExited)
            return;
        UnixProcess.Terminate(child.Id);
        using var grace = new CancellationTokenSource(StopGrace);
        try
        {
            await child.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException)
        {
        }
        child.Kill(entireProcessTree: true);
        await child.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        // A mount that was not there before the child started is the child's (a dead mount replaced has a new device).
        if (MountTable.Find(mountPoint) is { } after && (before is null || after.Major != before.Major || after.Minor != before.Minor))
        {
            try
            {
                await FuseMount.UnmountAsync(mountPoint, lazy: true).ConfigureAwait(false);
            }
            catch (FuseMountException ex)
            {
                Console.Error.WriteLine($"octue-mount: {ex.Message}");
            }
        }
    }
}
