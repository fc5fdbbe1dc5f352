namespace Octue.Mount.Emulator;

/// <summary>
/// Holds the injected faults; each request consumes at most one (the first added that matches). Tests in the same
/// process add rules directly; other processes (the Node.js conformance tests, a shell) use the control endpoint
/// <c>/emulator/v1/faults</c>.
/// </summary>
public sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private readonly List<PendingFault> _pending = [];
    private int _triggered;

    /// <summary>How many requests a fault was applied to since the start.</summary>
    public int Triggered => Volatile.Read(ref _triggered);

    public void Add(FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.Times < 1)
            throw new ArgumentOutOfRangeException(nameof(rule), rule.Times, "A fault must apply to at least one request (Times >= 1).");
        if (rule.Skip < 0)
            throw new ArgumentOutOfRangeException(nameof(rule), rule.Skip, "Skip cannot be negative.");
        if (rule.AfterBytes < 0)
            throw new ArgumentOutOfRangeException(nameof(rule), rule.AfterBytes, "AfterBytes cannot be negative.");
        if (rule.Kind == FaultKind.Status && (rule.StatusCode < 400 || rule.StatusCode > 599))
            throw new ArgumentOutOfRangeException(nameof(rule), rule.StatusCode, "A status fault needs an error status (400-599).");
        lock (_gate)
            _pending.Add(new PendingFault(rule));
    }

    public void Clear()
    {
        lock (_gate)
            _pending.Clear();
    }

    internal FaultRule? Take(string method, RequestKind kind, string? bucket, string? objectName)
    {
        lock (_gate)
        {
            for (var i = 0; i < _pending.Count; i++)
            {
                var pending = _pending[i];
                if (!pending.Matches(method, kind, bucket, objectName))
                    continue;
                if (pending.ToSkip > 0)
                {
                    pending.ToSkip--;
                    continue;
                }
                if (--pending.Remaining == 0)
                    _pending.RemoveAt(i);
                _triggered++;
                return pending.Rule;
            }
        }
        return null;
    }

    private sealed class PendingFault(FaultRule rule)
    {
        public FaultRule Rule { get; } = rule;

        public int Remaining { get; set; } = rule.Times;

        public int ToSkip { get; set; } = rule.Skip;

        public bool Matches(string method, RequestKind kind, string? bucket, string? objectName) =>
            (Rule.Method is null || string.Equals(Rule.Method, method, StringComparison.OrdinalIgnoreCase))
            && (Rule.RequestKind is null || Rule.RequestKind == kind)
            && (Rule.Bucket is null || string.Equals(Rule.Bucket, bucket, StringComparison.Ordinal))
            && (Rule.ObjectName is null || string.Equals(Rule.ObjectName, objectName, StringComparison.Ordinal));
    }
}
