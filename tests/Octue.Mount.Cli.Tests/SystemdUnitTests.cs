using System.Text.RegularExpressions;
using Octue.Mount.Linux.Tests.Mounts;

namespace Octue.Mount.Cli.Tests;

/// <summary>
/// The shipped unit template, <c>packaging/systemd/octue-mount@.service</c>: parsed here (sections and settings), its
/// command line accepted by the real <c>mount</c> verb, and checked by <c>systemd-analyze verify</c> where it exists.
/// </summary>
public sealed class SystemdUnitTests
{
    private static readonly string Root = FindRepositoryRoot();

    private static string UnitPath => Path.Combine(Root, "packaging", "systemd", "octue-mount@.service");

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Octue.Mount.slnx")))
                return directory.FullName;
        }
        throw new InvalidOperationException("The repository root (holding Octue.Mount.slnx) is not above " + AppContext.BaseDirectory);
    }

    /// <summary>The unit as systemd reads it: sections of <c>Key=Value</c> lines, a key given again adds a value.</summary>
    private static Dictionary<string, Dictionary<string, List<string>>> Parse(string text)
    {
        var sections = new Dictionary<string, Dictionary<string, List<string>>>(StringComparer.Ordinal);
        Dictionary<string, List<string>>? current = null;
        foreach (var (raw, number) in text.Split('\n').Select((line, index) => (line.Trim(), index + 1)))
        {
            if (raw.Length == 0 || raw[0] is '#' or ';')
                continue;
            if (raw.StartsWith('[') && raw.EndsWith(']'))
            {
                current = new Dictionary<string, List<string>>(StringComparer.Ordinal);
                Assert.True(sections.TryAdd(raw[1..^1], current), $"line {number}: section {raw} given twice");
                continue;
            }
            Assert.True(current is not null, $"line {number} is outside any section");
            var equals = raw.IndexOf('=');
            Assert.True(equals > 0, $"line {number} is not Key=Value: {raw}");
            var key = raw[..equals].Trim();
            Assert.Matches("^[A-Za-z][A-Za-z0-9]*$", key);
            if (!current!.TryGetValue(key, out var values))
                current[key] = values = [];
            values.Add(raw[(equals + 1)..].Trim());
        }
        return sections;
    }

    private static string Single(Dictionary<string, Dictionary<string, List<string>>> unit, string section, string key) =>
        Assert.Single(unit[section][key]);

    [Fact]
    public void The_template_is_a_notify_service_restarted_on_failure_with_its_cache_under_CacheDirectory()
    {
        var unit = Parse(File.ReadAllText(UnitPath));
        Assert.Equal(["Unit", "Service", "Install"], unit.Keys);
        Assert.Equal("network-online.target", Single(unit, "Unit", "After"));
        Assert.Equal("notify", Single(unit, "Service", "Type"));
        Assert.Equal("main", Single(unit, "Service", "NotifyAccess"));
        Assert.Equal("on-failure", Single(unit, "Service", "Restart"));
        Assert.Equal("octue-mount/%i", Single(unit, "Service", "CacheDirectory"));
        var start = Single(unit, "Service", "ExecStart");
        Assert.StartsWith("@BINDIR@/octue-mount mount ", start);
        Assert.Contains("--foreground", start);
        Assert.Contains("--cache-dir ${CACHE_DIRECTORY}", start);
        Assert.StartsWith("-@BINDIR@/octue-mount unmount ", Single(unit, "Service", "ExecStop"));
        Assert.Equal("multi-user.target", Single(unit, "Install", "WantedBy"));
    }

    /// <summary>ExecStart as systemd expands it: <c>${VAR}</c> as one word, <c>$VAR</c> split on white space.</summary>
    private static List<string> Expand(string commandLine, IReadOnlyDictionary<string, string> environment)
    {
        var words = new List<string>();
        foreach (var word in commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var whole = Regex.Match(word, @"^\$\{(\w+)\}$");
            var split = Regex.Match(word, @"^\$(\w+)$");
            if (whole.Success)
                words.Add(environment[whole.Groups[1].Value]);
            else if (split.Success)
                words.AddRange(environment[split.Groups[1].Value].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            else
                words.Add(word);
        }
        return words;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_mount_verb_accepts_the_units_command_line_with_the_defaults_and_with_the_documented_example(bool example)
    {
        var text = File.ReadAllText(UnitPath);
        var unit = Parse(text);
        var environment = unit["Service"]["Environment"].Select(assignment => assignment.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1].Replace("%i", "my-bucket", StringComparison.Ordinal));
        environment["CACHE_DIRECTORY"] = "/var/cache/octue-mount/my-bucket";
        if (example)
        {
            // The per-instance settings the unit's comment shows, as a user would copy them.
            foreach (Match match in Regex.Matches(text, @"^#\s+(OCTUE_MOUNT_\w+)=(.*)$", RegexOptions.Multiline))
                environment[match.Groups[1].Value] = match.Groups[2].Value.Trim();
            Assert.NotEqual("", environment["OCTUE_MOUNT_OPTIONS"]);
        }
        var words = Expand(Single(unit, "Service", "ExecStart"), environment);
        Assert.Equal("@BINDIR@/octue-mount", words[0]);
        // -f is mount(8)'s "fake": the verb checks every option, then stops before mounting.
        var result = await Tool.RunAsync(MountProcess.CliPath, [.. words.Skip(1), "-f"], TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, $"octue-mount {string.Join(' ', words.Skip(1))} was refused: {result.Stderr}{result.Stdout}");
    }

    [Fact]
    public async Task Systemd_analyze_verify_finds_nothing_to_say_about_an_instance()
    {
        var analyze = new[] { "/usr/bin/systemd-analyze", "/bin/systemd-analyze" }.FirstOrDefault(File.Exists);
        if (analyze is null)
            return; // No systemd here: the unit is still parsed by the tests above.
        using var temp = new TempDirectory();
        // An instance of the template, with the built command in place of @BINDIR@ (verify checks ExecStart exists).
        var instance = temp.Combine("octue-mount@verify-bucket.service");
        File.WriteAllText(instance, File.ReadAllText(UnitPath).Replace("@BINDIR@", Path.GetDirectoryName(MountProcess.CliPath)!, StringComparison.Ordinal));
        var result = await Tool.RunAsync(analyze, ["verify", "--man=no", instance], TimeSpan.FromSeconds(60));
        var complaints = (result.Stdout + result.Stderr).Split('\n')
            .Where(line => line.Contains("octue-mount", StringComparison.Ordinal) || line.Contains(instance, StringComparison.Ordinal)).ToList();
        Assert.True(result.ExitCode == 0 && complaints.Count == 0,
            $"systemd-analyze verify (exit code {result.ExitCode}): {string.Join('\n', complaints)}{result.Stderr}");
    }
}
