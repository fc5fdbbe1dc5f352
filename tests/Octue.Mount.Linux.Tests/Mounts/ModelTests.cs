using Xunit.Abstractions;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>
/// The model-based random test (<c>octue-mount-model</c>, tests/Octue.Mount.ModelTest): fixed seeds, 21,000 operations
/// on a real mount compared with a local folder after every step, with 503 bursts, resets in downloads, clean
/// remounts and kill -9 followed by a recovering mount. Run as a child process: the test process never touches a
/// mount. A failure prints its seed, the failing step and a shrunk reproduction (replayable with --replay).
/// bench/model-test.sh runs it longer.
/// </summary>
[Collection(MountCollection.Name)]
public sealed class ModelTests(ITestOutputHelper output)
{
    public static string DriverPath => Path.Combine(AppContext.BaseDirectory, "octue-mount-model");

    [Fact]
    public async Task Seeded_random_operations_agree_with_a_local_folder_through_faults_remounts_and_kill_9()
    {
        using var temp = new TempDirectory("octue-mount-model");
        try
        {
            var result = await Tool.RunAsync(DriverPath,
                ["--seeds", "1,2,3", "--operations", "7000", "--faults", "0.001", "--remounts", "0.00015", "--kills", "0.0004",
                 "--work", temp.Path, "--shrink-seconds", "240"], TimeSpan.FromMinutes(30));
            output.WriteLine(result.Stdout);
            output.WriteLine(result.Stderr);
            Assert.True(result.ExitCode == 0, $"the model test failed:\n{result.Stdout}\n{result.Stderr}");
            Assert.Contains("operations: 21000 ", result.Stdout);
            Assert.Contains("bytes lost: 0", result.Stdout);
            Assert.Matches(@"faults injected: [1-9]\d* .*survived: [1-9]", result.Stdout);
            Assert.Matches(@"kill -9 \+ recovery: [1-9]\d* \([1-9]\d* during an fsync's upload", result.Stdout);
        }
        finally
        {
            // The driver unmounts what it mounted; a driver that crashed leaves mounts under its folder.
            foreach (var line in File.ReadAllLines("/proc/self/mountinfo"))
            {
                var mountPoint = line.Split(' ')[4];
                if (mountPoint.StartsWith(temp.Path + "/", StringComparison.Ordinal))
                    await MountProcess.CleanUpAsync(mountPoint);
            }
        }
    }
}
