namespace Octue.Mount.Emulator;

/// <summary>Counts the requests the emulator received, by kind (faulted requests included).</summary>
public sealed class RequestCounter
{
    private readonly long[] _counts = new long[Enum.GetValues<RequestKind>().Length];

    /// <summary>The number of requests of this kind since the start or the last <see cref="Reset"/>.</summary>
    public long Count(RequestKind kind) => Interlocked.Read(ref _counts[(int)kind]);

    /// <summary>The number of requests of every kind.</summary>
    public long Total
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _counts.Length; i++)
                total += Interlocked.Read(ref _counts[i]);
            return total;
        }
    }

    public void Reset()
    {
        for (var i = 0; i < _counts.Length; i++)
            Interlocked.Exchange(ref _counts[i], 0);
    }

    internal void Increment(RequestKind kind) => Interlocked.Increment(ref _counts[(int)kind]);
}
