using System.Management.Automation.Language;
using YamlDotNet.RepresentationModel;

namespace Octue.Mount.Windows.Tests;

/// <summary>
/// The Windows CI workflow (<c>.github/workflows/windows.yml</c>) cannot run here: these tests parse it as YAML and
/// check that it holds the jobs and steps it promises (WinFsp installed, build, the Windows tests, install.ps1, the
/// drive-letter mount check), that every file it names exists, and that its PowerShell parses without errors.
/// </summary>
public sealed class WindowsWorkflowTests
{
    private static readonly string Root = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Octue.Mount.slnx")))
                return directory.FullName;
        }
        throw new InvalidOperationException("The repository root (holding Octue.Mount.slnx) is not above " + AppContext.BaseDirectory);
    }

    private static YamlMappingNode LoadWorkflow()
    {
        using var reader = new StreamReader(Path.Combine(Root, ".github", "workflows", "windows.yml"));
        var stream = new YamlStream();
        stream.Load(reader);
        return Assert.IsType<YamlMappingNode>(Assert.Single(stream.Documents).RootNode);
    }

    private static YamlNode Get(YamlMappingNode mapping, string key) =>
        mapping.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : throw new Xunit.Sdk.XunitException($"no '{key}' key");

    private static string Scalar(YamlMappingNode mapping, string key) => Assert.IsType<YamlScalarNode>(Get(mapping, key)).Value!;

    private static IReadOnlyList<YamlMappingNode> Steps() =>
        Assert.IsType<YamlSequenceNode>(Get(Job(), "steps")).Children.Select(step => Assert.IsType<YamlMappingNode>(step)).ToList();

    private static YamlMappingNode Job() => Assert.IsType<YamlMappingNode>(Get(Assert.IsType<YamlMappingNode>(Get(LoadWorkflow(), "jobs")), "windows"));

    private static string? Run(YamlMappingNode step) =>
        step.Children.TryGetValue(new YamlScalarNode("run"), out var run) ? ((YamlScalarNode)run).Value : null;

    private static YamlMappingNode StepRunning(string fragment) =>
        Steps().SingleOrDefault(step => Run(step)?.Contains(fragment, StringComparison.Ordinal) == true)
        ?? throw new Xunit.Sdk.XunitException($"no step runs '{fragment}'");

    [Fact]
    public void The_workflow_runs_one_job_on_windows_latest_with_pwsh_on_push_pull_requests_and_by_hand()
    {
        var workflow = LoadWorkflow();
        var triggers = Assert.IsType<YamlMappingNode>(Get(workflow, "on"));
        foreach (var trigger in new[] { "push", "pull_request", "workflow_dispatch" })
            Assert.True(triggers.Children.ContainsKey(new YamlScalarNode(trigger)), $"not triggered by {trigger}");
        Assert.Equal("read", Scalar(Assert.IsType<YamlMappingNode>(Get(workflow, "permissions")), "contents"));
        var job = Job();
        Assert.Equal("windows-latest", Scalar(job, "runs-on"));
        var run = Assert.IsType<YamlMappingNode>(Get(Assert.IsType<YamlMappingNode>(Get(job, "defaults")), "run"));
        Assert.Equal("pwsh", Scalar(run, "shell"));
        Assert.All(Steps(), step => Assert.False(string.IsNullOrWhiteSpace(Scalar(step, "name"))));
    }

    [Fact]
    public void The_steps_come_in_order_checkout_dotnet_winfsp_build_tests_install_mount_check()
    {
        var steps = Steps();
        int IndexOf(Func<YamlMappingNode, bool> match, string what)
        {
            var index = steps.ToList().FindIndex(step => match(step));
            Assert.True(index >= 0, $"no step that {what}");
            return index;
        }
        bool Uses(YamlMappingNode step, string action) =>
            step.Children.TryGetValue(new YamlScalarNode("uses"), out var uses) && ((YamlScalarNode)uses).Value!.StartsWith(action + "@", StringComparison.Ordinal);
        bool Runs(YamlMappingNode step, string fragment) => Run(step)?.Contains(fragment, StringComparison.Ordinal) == true;

        var order = new[]
        {
            IndexOf(s => Uses(s, "actions/checkout"), "checks the repository out"),
            IndexOf(s => Uses(s, "actions/setup-dotnet"), "sets up .NET"),
            IndexOf(s => Runs(s, "choco install winfsp -y"), "installs WinFsp"),
            IndexOf(s => Runs(s, "dotnet build Octue.Mount.slnx"), "builds the solution"),
            IndexOf(s => Runs(s, "dotnet test tests/Octue.Mount.Windows.Tests/Octue.Mount.Windows.Tests.csproj"), "runs the Windows tests"),
            IndexOf(s => Runs(s, "./install.ps1"), "runs install.ps1"),
            IndexOf(s => Runs(s, "./scripts/windows-mount-check.ps1"), "mounts a bucket on a drive letter"),
        };
        Assert.Equal(order.Order(), order);

        var dotnet = steps.Single(s => Uses(s, "actions/setup-dotnet"));
        Assert.StartsWith("10.", Scalar(Assert.IsType<YamlMappingNode>(Get(dotnet, "with")), "dotnet-version"), StringComparison.Ordinal);
        Assert.Contains("-Drive", Run(StepRunning("windows-mount-check.ps1")), StringComparison.Ordinal);
        // Each native command's exit code is checked: pwsh does not stop on a failing native command by itself.
        foreach (var fragment in new[] { "choco install winfsp -y", "dotnet build", "dotnet test", "./install.ps1" })
            Assert.Contains("$LASTEXITCODE", Run(StepRunning(fragment)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tests/Octue.Mount.Windows.Tests/Octue.Mount.Windows.Tests.csproj")]
    [InlineData("Octue.Mount.slnx")]
    [InlineData("install.ps1")]
    [InlineData("scripts/windows-mount-check.ps1")]
    public void Every_file_the_workflow_names_exists(string path)
    {
        Assert.Contains(Steps(), step => Run(step)?.Contains(path, StringComparison.Ordinal) == true);
        Assert.True(File.Exists(Path.Combine(Root, path)), $"{path} is named by the workflow but does not exist");
    }

    [Fact]
    public void The_powershell_of_every_step_and_script_parses()
    {
        var scripts = Steps().Select(Run).OfType<string>().Select(text => ("a step of windows.yml", text)).ToList();
        scripts.Add(("scripts/windows-mount-check.ps1", File.ReadAllText(Path.Combine(Root, "scripts", "windows-mount-check.ps1"))));
        scripts.Add(("install.ps1", File.ReadAllText(Path.Combine(Root, "install.ps1"))));
        foreach (var (name, text) in scripts)
        {
            Parser.ParseInput(text, out _, out var errors);
            Assert.True(errors.Length == 0, $"{name} does not parse: {string.Join("; ", errors.Select(e => $"{e.Extent.StartLineNumber}: {e.Message}"))}");
        }
    }

    [Fact]
    public void The_mount_check_verifies_by_sha256_in_both_directions_and_unmounts()
    {
        var script = File.ReadAllText(Path.Combine(Root, "scripts", "windows-mount-check.ps1"));
        var ast = Parser.ParseInput(script, out _, out _);
        var commands = ast.FindAll(node => node is CommandAst, searchNestedScriptBlocks: true)
            .Cast<CommandAst>().Select(command => command.GetCommandName()).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var command in new[] { "Start-Process", "Copy-Item", "Get-FileHash", "Rename-Item", "Remove-Item", "Invoke-WebRequest" })
            Assert.Contains(command, commands);
        Assert.Contains("Get-FileHash -Algorithm SHA256", script, StringComparison.Ordinal);
        Assert.Contains("& $Exe unmount $Drive", script, StringComparison.Ordinal);
        Assert.Contains("'emulator', '--port', '0'", script, StringComparison.Ordinal);
        Assert.Contains("'^listening on (http://127\\.0\\.0\\.1:\\d+)$'", script, StringComparison.Ordinal);
    }
}
