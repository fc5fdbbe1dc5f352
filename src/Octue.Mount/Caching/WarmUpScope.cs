namespace Octue.Mount.Caching;

/// <summary>
/// Marks the work of the start-up warm-up (<c>Vfs.FirstUseWarmUp</c>) and everything it starts: a file system over an
/// in-memory bucket whose only purpose is to have the mount's code compiled before its first request. Its counts are
/// not the mount's: the read path's shared counters skip them, and its own meter has a name no exporter listens to.
/// </summary>
internal static class WarmUpScope
{
    /// <summary>The meter name of a file system made inside the scope (the product's is <see cref="CachingMetrics.MeterName"/>).</summary>
    public const string MeterName = "Octue.Mount.WarmUp";

    private static readonly AsyncLocal<bool> Inside = new();

    /// <summary>True in the warm-up's flow (and in tasks it started); false everywhere else.</summary>
    public static bool Active => Inside.Value;

    /// <summary>Enters the scope for the rest of the caller's async flow.</summary>
    public static void Enter() => Inside.Value = true;
}
