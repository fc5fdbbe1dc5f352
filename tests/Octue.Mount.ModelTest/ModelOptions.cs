namespace Octue.Mount.ModelTest;

/// <summary>How a run is shaped (command-line options of <c>octue-mount-model</c>).</summary>
public sealed record ModelOptions
{
    /// <summary>The seeds to run, one run each.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [1];

    /// <summary>Operations per seed.</summary>
    public int Operations { get; init; } = 5000;

    /// <summary>Open descriptors at most.</summary>
    public int Slots { get; init; } = 6;

    /// <summary>Chance per operation of arming a fault (503s or a reset in a download).</summary>
    public double FaultRate { get; init; } = 0.003;

    /// <summary>Chance per operation of a clean remount.</summary>
    public double RemountRate { get; init; } = 0.0005;

    /// <summary>Chance per operation of kill -9 and a remount that recovers.</summary>
    public double KillRate { get; init; } = 0.0004;

    /// <summary>Every how many operations every file and listing is compared in full (listings of changed folders and the stat of touched files are compared after every step).</summary>
    public int VerifyEvery { get; init; } = 250;

    /// <summary>The octue-mount command.</summary>
    public string Cli { get; init; } = Path.Combine(AppContext.BaseDirectory, "octue-mount");

    /// <summary>Where mounts, reference folders, caches and logs go (a new folder under /tmp by default).</summary>
    public string? WorkDirectory { get; init; }

    /// <summary>How long a failure may be shrunk to a minimal reproduction.</summary>
    public TimeSpan ShrinkBudget { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>A file of operations (written by a failed run) to replay instead of random ones.</summary>
    public string? Replay { get; init; }
}
