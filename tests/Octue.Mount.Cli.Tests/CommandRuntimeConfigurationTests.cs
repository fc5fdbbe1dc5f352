using System.Text.Json;

namespace Octue.Mount.Cli.Tests;

/// <summary>
/// The runtime settings the command ships with (octue-mount.runtimeconfig.json, built from the project file): they
/// change how much CPU a mount takes from the reads and writes it serves (bench/README.md), and nothing else would
/// notice them going missing.
/// </summary>
public sealed class CommandRuntimeConfigurationTests
{
    private static JsonElement ConfigProperties()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "octue-mount.runtimeconfig.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }

    [Fact]
    public void Idle_thread_pool_workers_do_not_spin()
    {
        Assert.Equal(0, ConfigProperties().GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
    }

    [Fact]
    public void Hot_methods_are_not_compiled_a_third_time_for_dynamic_pgo()
    {
        Assert.False(ConfigProperties().GetProperty("System.Runtime.TieredPGO").GetBoolean());
    }
}
