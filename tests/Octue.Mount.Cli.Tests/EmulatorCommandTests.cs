using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Octue.Mount.Cli.Tests;

/// <summary><c>octue-mount emulator</c> run as a real process, the way scripts and the Node.js suite use it.</summary>
public sealed partial class EmulatorCommandTests
{
    private const int SigTerm = 15;
    private const int SigInt = 2;

    [Theory]
    [InlineData(SigTerm)]
    [InlineData(SigInt)]
    public async Task ServesUntilSignalledThenExitsZero(int signal)
    {
        // A shell without job control starts background commands with SIGINT ignored, and that disposition is
        // inherited across exec; a process started so rightly keeps ignoring SIGINT (as nohup'd servers do). The
        // test asks how the emulator behaves in a terminal, so its child must start with SIGINT at its default.
        if (signal == SigInt)
            UnignoreInterrupt();
        using var process = Start("emulator", "--port", "0");
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            var match = ListeningLine().Match(line ?? "");
            Assert.True(match.Success, $"unexpected first line: '{line}'");

            using var http = new HttpClient { BaseAddress = new Uri(match.Groups[1].Value + "/") };
            var created = await http.PostAsync("storage/v1/b?project=p", new StringContent("""{"name":"cli-bucket"}"""));
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
            var listing = await http.GetStringAsync("storage/v1/b/cli-bucket/o");
            Assert.Contains("storage#objects", listing);

            Assert.Equal(0, Kill(process.Id, signal));
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
    }

    [Fact]
    public async Task AHostThatIsNotAnAddressIsRefusedClearly()
    {
        using var process = Start("emulator", "--host", "not-an-address", "--port", "0");
        var error = await process.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("not-an-address", error);
    }

    [Fact]
    public async Task APortInUseIsRefusedClearly()
    {
        using var first = Start("emulator", "--port", "0");
        try
        {
            var line = await first.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            var port = new Uri(ListeningLine().Match(line ?? "").Groups[1].Value).Port;
            using var second = Start("emulator", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var error = await second.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
            await second.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(2, second.ExitCode);
            Assert.Contains("in use", error);
        }
        finally
        {
            first.Kill();
            await first.WaitForExitAsync();
        }
    }

    private static Process Start(params string[] arguments)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var info = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "octue-mount.dll"));
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        info.Environment.Remove("STORAGE_EMULATOR_HOST");
        return Process.Start(info) ?? throw new InvalidOperationException("could not start octue-mount");
    }

    /// <summary>Sets SIGINT to its default in this process only when it was ignored (never replaces a real handler).</summary>
    private static void UnignoreInterrupt()
    {
        var previous = Signal(SigInt, SigDefault);
        if (previous != SigIgnore)
            Signal(SigInt, previous);
    }

    private static readonly nint SigDefault = 0;
    private static readonly nint SigIgnore = 1;

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint Signal(int signal, nint handler);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [GeneratedRegex(@"^listening on (http://127\.0\.0\.1:\d+)$")]
    private static partial Regex ListeningLine();
}
