using System.Diagnostics;

namespace Octue.Mount.Cli.Mounting;

/// <summary>
/// Background mode. .NET cannot fork, so the command starts itself again with <c>--foreground --notify-ready</c>;
/// that child starts a new session (setsid), mounts, prints <see cref="ReadyMarker"/> on stdout and then lets go
/// of its standard streams. The parent relays what the child printed and exits 0 on the marker, or with the
/// child's exit code and error message when the child ended without it.
/// </summary>
internal static class DetachedLauncher
{
    public const string ReadyMarker = "octue-mount:ready";
    public const string NotifyReadyOption = "--notify-ready";

    public static async Task<int> LaunchAsync(IReadOnlyList<string> arguments, CancellationToken ct)
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

        using var child = Process.Start(start) ?? throw new MountFailedException("Could not start the background mount process.", 1);
        child.StandardInput.Close();
        var errors = child.StandardError.ReadToEndAsync(ct);
        while (await child.StandardOutput.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line == ReadyMarker)
                return 0;
            Console.WriteLine(line);
        }
        // The child ended (or closed stdout) without reporting readiness: it failed, and said why on stderr.
        await child.WaitForExitAsync(ct).ConfigureAwait(false);
        var message = (await errors.ConfigureAwait(false)).TrimEnd();
        if (message.Length > 0)
            Console.Error.WriteLine(message);
        return child.ExitCode != 0 ? child.ExitCode : 1;
    }
}
