using System.Diagnostics.Metrics;
using System.Text;
using Octue.Mount.Linux.Protocol;

namespace Octue.Mount.Linux.Session;

/// <summary>
/// How many requests of each opcode the kernel sent this connection: one interlocked increment per request on the
/// reader thread (no allocation, no lock), read by an observable counter (<c>octue.mount.fuse.requests</c>, tag
/// <c>opcode</c>) and summarised in the log when the connection closes. It is how the cost of a workload in kernel
/// round trips is measured (how many GETXATTR an <c>ls -l</c> sends, whether passthrough reads still reach the daemon).
/// </summary>
internal sealed class FuseRequestCounts : IDisposable
{
    /// <summary>Opcodes are small integers (53 is the highest at 7.45); anything above lands in the last slot.</summary>
    private const int Slots = 64;

    private readonly long[] _counts = new long[Slots];
    private readonly Meter _meter = new("Octue.Mount");

    public FuseRequestCounts()
    {
        _meter.CreateObservableCounter("octue.mount.fuse.requests", Observe, "{request}",
            "Requests the kernel sent over this mount's FUSE connection, by opcode.");
    }

    public void Count(FuseOpcode opcode) => Interlocked.Increment(ref _counts[Math.Min((uint)opcode, Slots - 1)]);

    /// <summary>Requests of <paramref name="opcode"/> counted so far.</summary>
    public long this[FuseOpcode opcode] => Volatile.Read(ref _counts[Math.Min((uint)opcode, Slots - 1)]);

    /// <summary>Requests of every opcode counted so far.</summary>
    public long Total
    {
        get
        {
            long total = 0;
            for (var i = 0; i < Slots; i++)
                total += Volatile.Read(ref _counts[i]);
            return total;
        }
    }

    /// <summary>"LOOKUP 3, READ 1024, ..." for every opcode seen, in opcode order.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        for (var i = 0; i < Slots; i++)
        {
            var count = Volatile.Read(ref _counts[i]);
            if (count == 0)
                continue;
            if (text.Length > 0)
                text.Append(", ");
            text.Append(Name(i)).Append(' ').Append(count);
        }
        return text.Length == 0 ? "none" : text.ToString();
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        for (var i = 0; i < Slots; i++)
        {
            var count = Volatile.Read(ref _counts[i]);
            if (count > 0)
                yield return new Measurement<long>(count, new KeyValuePair<string, object?>("opcode", Name(i)));
        }
    }

    private static string Name(int slot) =>
        Enum.IsDefined(typeof(FuseOpcode), (uint)slot) ? ((FuseOpcode)slot).ToString().ToUpperInvariant() : $"OPCODE_{slot}";

    public void Dispose() => _meter.Dispose();
}
