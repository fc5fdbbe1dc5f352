using System.Collections.Concurrent;

namespace Octue.Mount.Vfs;

/// <summary>
/// Remembers what has been logged, so a problem seen at every listing or every getxattr is logged once per mount.
/// Bounded: past <see cref="MaxEntries"/> keys nothing more is logged (a bucket of a million bad names must not grow
/// the set, or the log, without end; the counters still count).
/// </summary>
internal sealed class LoggedOnce
{
    public const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<(string, string), byte> _seen = new();

    /// <summary>True the first time <paramref name="bucket"/>/<paramref name="name"/> is offered (and while there is room).</summary>
    public bool First(string bucket, string name) => _seen.Count < MaxEntries && _seen.TryAdd((bucket, name), 0);
}
