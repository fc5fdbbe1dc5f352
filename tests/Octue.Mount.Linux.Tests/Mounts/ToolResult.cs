namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>The outcome of running an ordinary tool.</summary>
public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public ToolResult EnsureSuccess(string what)
    {
        if (ExitCode != 0)
            throw new Xunit.Sdk.XunitException($"{what} failed with exit code {ExitCode}: {Stderr}{Stdout}");
        return this;
    }
}
