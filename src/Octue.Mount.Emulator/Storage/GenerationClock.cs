namespace Octue.Mount.Emulator;

/// <summary>
/// Hands out object generations as GCS does: microseconds since the epoch, unique and strictly increasing even
/// when two writes fall in the same microsecond or the clock steps back.
/// </summary>
internal sealed class GenerationClock
{
    private long _last;

    public long Next()
    {
        while (true)
        {
            var last = Volatile.Read(ref _last);
            var now = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;
            var next = Math.Max(last + 1, now);
            if (Interlocked.CompareExchange(ref _last, next, last) == last)
                return next;
        }
    }

    /// <summary>Makes sure later generations are above one already handed out (objects reloaded from a folder).</summary>
    public void Observe(long generation)
    {
        while (true)
        {
            var last = Volatile.Read(ref _last);
            if (generation <= last || Interlocked.CompareExchange(ref _last, generation, last) == last)
                return;
        }
    }
}
