using System.Diagnostics;
using Octue.Mount.Linux.Mounting;
using Octue.Mount.Linux.Tests.Mounts;

namespace Octue.Mount.Cli.Tests;

/// <summary>
/// <c>octue-mount demo</c>: the sample bucket and manifest are mounted, browsable, and unmounted on Ctrl-C (SIGINT)
/// or SIGTERM.
/// </summary>
[Collection(CliMountCollection.Name)]
public sealed class DemoCommandTests
{
    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task The_demo_mounts_a_sample_bucket_and_manifest_and_stops_cleanly_on_a_signal(string signal)
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("demo");
        // A background job of a shell starts with SIGINT ignored, and children inherit that; a terminal's Ctrl-C
        // reaches a process whose SIGINT has its default disposition, which env restores here.
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add(MountProcess.CliPath);
        start.ArgumentList.Add("demo");
        start.ArgumentList.Add(root);
        using var demo = Process.Start(start)!;
        var bucket = Path.Combine(root, "bucket");
        var manifest = Path.Combine(root, "manifest");
        try
        {
            var stderr = demo.StandardError.ReadToEndAsync();
            string? line;
            var printed = new List<string>();
            while ((line = await demo.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))) is not null && !line.StartsWith("Press Ctrl-C", StringComparison.Ordinal))
                printed.Add(line.Trim());
            Assert.True(line is not null, "the demo ended early: " + (demo.HasExited ? await stderr : ""));

            // The tag hint is typed as printed: a plain word, which the mount takes as a JSON string.
            var hint = Assert.Single(printed, l => l.StartsWith("setfattr ", StringComparison.Ordinal));
            Assert.Equal($"setfattr -n user.octue.tags.site -v south-ridge {Path.Combine(bucket, "datasets", "met-mast", "2024-02.csv")}", hint);
            (await Tool.BashAsync(hint)).EnsureSuccess("the printed setfattr");
            var site = (await Tool.RunAsync("getfattr", "-n", "user.octue.tags.site", "--only-values", "--absolute-names",
                Path.Combine(bucket, "datasets", "met-mast", "2024-02.csv"))).EnsureSuccess("getfattr").Stdout;
            Assert.Equal("\"south-ridge\"", site);

            var listing = (await Tool.RunAsync("ls", Path.Combine(bucket, "datasets", "met-mast"))).EnsureSuccess("ls").Stdout;
            Assert.Contains("2024-01.csv", listing);
            var csv = (await Tool.RunAsync("cat", Path.Combine(bucket, "datasets", "met-mast", "2024-01.csv"))).EnsureSuccess("cat").Stdout;
            Assert.StartsWith("timestamp,wind_speed_m_s", csv);
            var attributes = (await Tool.RunAsync("getfattr", "-d", "-m", "-", "--absolute-names", Path.Combine(bucket, "datasets", "met-mast", "2024-01.csv"))).EnsureSuccess("getfattr").Stdout;
            Assert.Contains("cup-anemometer", attributes);
            var datasets = (await Tool.RunAsync("ls", manifest)).EnsureSuccess("ls manifest").Stdout;
            Assert.Contains("lidar", datasets);
            Assert.Contains("met_mast", datasets);
            Assert.Contains("scan-001.json", (await Tool.RunAsync("ls", Path.Combine(manifest, "lidar"))).EnsureSuccess("ls lidar").Stdout);
            (await Tool.RunAsync("cp", "/etc/hostname", Path.Combine(bucket, "copied.txt"))).EnsureSuccess("cp into the demo");

            (await Tool.RunAsync("kill", $"-{signal}", demo.Id.ToString())).EnsureSuccess("kill");
            await demo.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(0, demo.ExitCode);
            Assert.Contains("Unmounted; demo stopped.", await demo.StandardOutput.ReadToEndAsync());
            Assert.Null(MountTable.Find(bucket));
            Assert.Null(MountTable.Find(manifest));
        }
        finally
        {
            if (!demo.HasExited)
                demo.Kill();
            await MountProcess.CleanUpAsync(bucket);
            await MountProcess.CleanUpAsync(manifest);
        }
    }
}
