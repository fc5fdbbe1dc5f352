namespace Octue.Mount.ModelTest;

/// <summary>
/// Shrinks a failing sequence of operations (delta debugging): drops ever smaller runs of operations while a replay
/// in a fresh bucket and mount still fails, within a time budget. Operations a removal makes invalid (a write to a
/// descriptor no longer opened) are skipped by the replay.
/// </summary>
public static class Shrinker
{
    public static async Task<IReadOnlyList<Operation>> ShrinkAsync(IReadOnlyList<Operation> failing, Func<IReadOnlyList<Operation>, Task<bool>> fails,
        TimeSpan budget, Action<string> log)
    {
        var deadline = DateTime.UtcNow + budget;
        var current = failing.ToList();
        var parts = 2;
        while (current.Count >= 2 && DateTime.UtcNow < deadline)
        {
            var chunk = (int)Math.Ceiling(current.Count / (double)parts);
            var reduced = false;
            for (var start = current.Count - chunk; start > -chunk && DateTime.UtcNow < deadline; start -= chunk)
            {
                var from = Math.Max(0, start);
                var candidate = current.Take(from).Concat(current.Skip(start + chunk)).ToList();
                if (candidate.Count < current.Count && await fails(candidate).ConfigureAwait(false))
                {
                    current = candidate;
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
