using System.Diagnostics;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>
/// Runs ordinary tools (cp, ls, getfattr, ...) as child processes. The test process itself never opens anything
/// inside a mount: only these children do.
/// </summary>
public static class Tool
{
    public static async Task<ToolResult> RunAsync(string file, IEnumerable<string> arguments, TimeSpan? timeout = null,
        IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/tmp",
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
                start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"{file} {string.Join(' ', arguments)} did not finish in time");
        }
        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }

    public static Task<ToolResult> RunAsync(string file, params string[] arguments) => RunAsync(file, arguments, null);

    /// <summary>Runs a bash script (arguments are $1, $2, ...).</summary>
    public static Task<ToolResult> BashAsync(string script, params string[] arguments) =>
        RunAsync("bash", new[] { "-c", script, "bash" }.Concat(arguments), null);
}
