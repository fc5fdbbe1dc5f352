namespace Octue.Mount.ModelTest;

/// <summary>
/// Shrinks a failing sequence of operations (delta debugging): drops ever smaller runs of operations while a replay
/// in a fresh bucket and mount still fails, within a time budget. A replay skips the operations a removal made invalid
/// (a write to a descriptor no longer opened) and stops at the failing one, so a candidate that still fails is
/// replaced by what its replay executed: the reproduction holds only operations that ran, and shrinks faster.
/// </summary>
public static class Shrinker
{
    /// <param name="failing">The operations a failed run executed.</param>
    /// <param name="replay">Replays a candidate: the operations it executed when it failed too, null when it passed.</param>
    /// <param name="budget">How long shrinking may take; the smallest failing sequence found by then is returned.</param>
    /// <param name="log">Progress lines.</param>
    /// <param name="clock">What the budget is measured on (the system clock by default).</param>
    public static async Task<IReadOnlyList<Operation>> ShrinkAsync(IReadOnlyList<Operation> failing,
        Func<IReadOnlyList<Operation>, Task<IReadOnlyList<Operation>?>> replay, TimeSpan budget, Action<string> log,
        TimeProvider? clock = null)
    {
        clock ??= TimeProvider.System;
        var deadline = clock.GetUtcNow() + budget;
        var current = failing.ToList();
        var parts = 2;
        while (current.Count >= 2 && clock.GetUtcNow() < deadline)
        {
            var chunk = (int)Math.Ceiling(current.Count / (double)parts);
            var reduced = false;
            for (var start = current.Count - chunk; start > -chunk && clock.GetUtcNow() < deadline; start -= chunk)
            {
                var from = Math.Max(0, start);
                var candidate = current.Take(from).Concat(current.Skip(start + chunk)).ToList();
                if (candidate.Count < current.Count && await replay(candidate).ConfigureAwait(false) is { } executed)
                {
                    current = executed.ToList();
                    parts = Math.Max(parts - 1, 2);
                    reduced = true;
                    log($"  still failing with {current.Count} operations");
                    break;
                }
            }

            if (!reduced)
            {
                if (chunk == 1)
                {
                    break;
                }

                parts = Math.Min(current.Count, parts * 2);
            }
        }

        return current;
    }
}
