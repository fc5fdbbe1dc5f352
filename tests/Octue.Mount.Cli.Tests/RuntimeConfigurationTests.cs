using System.Text.Json;

namespace Octue.Mount.Cli.Tests;

/// <summary>
/// The runtime settings the command is built with (octue-mount.runtimeconfig.json beside it): they were chosen by
/// measurement (the project file says why), so a change of build properties must not drop them unnoticed.
/// </summary>
public sealed class RuntimeConfigurationTests
{
    private static JsonElement ConfigProperties()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "octue-mount.runtimeconfig.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }

    [Fact]
    public void The_daemon_runs_without_profile_guided_tiering_and_without_thread_pool_spinning()
    {
        var properties = ConfigProperties();
        Assert.False(properties.GetProperty("System.Runtime.TieredPGO").GetBoolean());
        Assert.Equal(0, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
    }
}
