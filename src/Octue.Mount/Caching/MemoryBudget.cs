namespace Octue.Mount.Caching;

/// <summary>
/// A semaphore counted in bytes: the download buffers of all readers of a factory never add up to more than
/// <see cref="Capacity"/>. Waiters are served first come, first served; <see cref="TryAcquire"/> never jumps the queue.
/// </summary>
public sealed class MemoryBudget
{
    private readonly object _sync = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private long _inUse;
    private long _peak;

    /// <summary>A budget of <paramref name="capacity"/> bytes (at least 1).</summary>
    public MemoryBudget(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>The most bytes that may be held at once.</summary>
    public long Capacity { get; }

    /// <summary>Bytes held right now.</summary>
    public long InUse { get { lock (_sync) { return _inUse; } } }

    /// <summary>The most bytes ever held at once (what tests and benchmarks check against <see cref="Capacity"/>).</summary>
    public long Peak { get { lock (_sync) { return _peak; } } }

    /// <summary>True while someone waits for bytes (holders of bytes they could give back should).</summary>
    public bool HasWaiters { get { lock (_sync) { return _waiters.Count > 0; } } }

    /// <summary>Takes <paramref name="bytes"/> when they are free and nobody is waiting; never waits.</summary>
    public bool TryAcquire(long bytes, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Lease? lease)
    {
        CheckRequest(bytes);
        lock (_sync)
        {
            if (_waiters.Count == 0 && _inUse + bytes <= Capacity)
            {
                Take(bytes);
                lease = new Lease(this, bytes);
                return true;
            }
        }
        lease = null;
        return false;
    }

    /// <summary>
    /// Waits until <paramref name="bytes"/> are free, then takes them. <paramref name="onWait"/> runs once the
    /// caller is queued (outside the budget's lock): the moment to give back bytes held only as a convenience, with
    /// no window in which a holder could miss that someone waits.
    /// </summary>
    /// <remarks>
    /// <paramref name="waiterTag"/> names on whose behalf the caller waits (see <see cref="Lease.BudgetWantedByOthersThan"/>).
    /// </remarks>
    public ValueTask<Lease> AcquireAsync(long bytes, CancellationToken ct = default, Action? onWait = null, object? waiterTag = null)
    {
        CheckRequest(bytes);
        Waiter waiter;
        lock (_sync)
        {
            if (_waiters.Count == 0 && _inUse + bytes <= Capacity)
            {
                Take(bytes);
                return ValueTask.FromResult(new Lease(this, bytes));
            }
            waiter = new Waiter(bytes, waiterTag);
            waiter.Node = _waiters.AddLast(waiter);
        }
        onWait?.Invoke();
        return WaitAsync(waiter, ct);
    }

    private async ValueTask<Lease> WaitAsync(Waiter waiter, CancellationToken ct)
    {
        using (ct.UnsafeRegister(static (state, token) => ((Waiter)state!).Completion.TrySetCanceled(token), waiter))
        {
            try
            {
                await waiter.Completion.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // A waiter whose completion was cancelled was never granted (the grant skips it), so there is
                // nothing to give back; it only has to leave the queue if it is still there.
                lock (_sync)
                {
                    if (waiter.Node!.List is not null)
                    {
                        _waiters.Remove(waiter.Node);
                        GrantWaiters();
                    }
                }
                throw;
            }
        }
        return new Lease(this, waiter.Bytes);
    }

    private void Release(long bytes)
    {
        lock (_sync)
        {
            _inUse -= bytes;
            GrantWaiters();
        }
    }

    private void GrantWaiters()
    {
        while (_waiters.First is { } first && _inUse + first.Value.Bytes <= Capacity)
        {
            _waiters.RemoveFirst();
            if (first.Value.Completion.TrySetResult())
            {
                Take(first.Value.Bytes);
            }
        }
    }

    private void Take(long bytes)
    {
        _inUse += bytes;
        if (_inUse > _peak)
        {
            _peak = _inUse;
        }
    }

    private void CheckRequest(long bytes)
    {
        if (bytes < 1 || bytes > Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, $"A request must be between 1 and the budget's capacity ({Capacity} bytes).");
        }
    }

    /// <summary>True while someone waits whose tag is not <paramref name="tag"/> (untagged waiters count as others).</summary>
    private bool HasWaitersOtherThan(object tag)
    {
        lock (_sync)
        {
            foreach (Waiter waiter in _waiters)
            {
                if (!ReferenceEquals(waiter.Tag, tag))
                {
                    return true;
                }
            }
            return false;
        }
    }

    private sealed class Waiter(long bytes, object? tag)
    {
        public long Bytes { get; } = bytes;
        public object? Tag { get; } = tag;
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public LinkedListNode<Waiter>? Node { get; set; }
    }

    /// <summary>Bytes held from the budget until disposed (disposing twice releases once).</summary>
    public sealed class Lease : IDisposable
    {
        private MemoryBudget? _owner;

        internal Lease(MemoryBudget owner, long bytes)
        {
            _owner = owner;
            Bytes = bytes;
        }

        /// <summary>The bytes this lease holds.</summary>
        public long Bytes { get; }

        /// <summary>True while someone waits for bytes of the budget this lease came from.</summary>
        public bool BudgetWanted => Volatile.Read(ref _owner) is { HasWaiters: true };

        /// <summary>True while someone waits for bytes of this budget on behalf of anything but <paramref name="tag"/>.</summary>
        public bool BudgetWantedByOthersThan(object tag) => Volatile.Read(ref _owner) is { } owner && owner.HasWaitersOtherThan(tag);

        /// <summary>Gives the bytes back to the budget (once; later calls do nothing).</summary>
        public void Dispose()
        {
            MemoryBudget? owner = Interlocked.Exchange(ref _owner, null);
            owner?.Release(Bytes);
        }
    }
}
