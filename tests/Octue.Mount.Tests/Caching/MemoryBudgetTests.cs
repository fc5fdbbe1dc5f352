using Octue.Mount.Caching;

namespace Octue.Mount.Tests.Caching;

public sealed class MemoryBudgetTests
{
    [Fact]
    public async Task Waiters_get_bytes_only_when_released_and_never_exceed_the_capacity()
    {
        MemoryBudget budget = new(100);
        MemoryBudget.Lease first = await budget.AcquireAsync(60);
        ValueTask<MemoryBudget.Lease> second = budget.AcquireAsync(60);
        Assert.False(second.IsCompleted);
        Assert.Equal(60, budget.InUse);

        first.Dispose();
        MemoryBudget.Lease granted = await second;
        Assert.Equal(60, budget.InUse);
        granted.Dispose();
        granted.Dispose(); // a second dispose gives nothing back twice
        Assert.Equal(0, budget.InUse);
        Assert.Equal(60, budget.Peak);
    }

    [Fact]
    public async Task TryAcquire_does_not_jump_the_queue()
    {
        MemoryBudget budget = new(100);
        using MemoryBudget.Lease held = await budget.AcquireAsync(80);
        ValueTask<MemoryBudget.Lease> waiting = budget.AcquireAsync(50);
        Assert.False(budget.TryAcquire(10, out _)); // 10 would fit, but someone waits
        held.Dispose();
        using MemoryBudget.Lease got = await waiting;
        Assert.True(budget.TryAcquire(50, out MemoryBudget.Lease? more));
        more.Dispose();
        Assert.False(budget.TryAcquire(51, out _));
    }

    [Fact]
    public async Task A_cancelled_waiter_leaves_the_queue_and_takes_nothing()
    {
        MemoryBudget budget = new(100);
        MemoryBudget.Lease held = await budget.AcquireAsync(100);
        using CancellationTokenSource cancel = new();
        ValueTask<MemoryBudget.Lease> cancelled = budget.AcquireAsync(100, cancel.Token);
        ValueTask<MemoryBudget.Lease> next = budget.AcquireAsync(40);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled);
        held.Dispose();
        using MemoryBudget.Lease got = await next;
        Assert.Equal(40, budget.InUse);
    }

    [Fact]
    public async Task Many_concurrent_users_never_exceed_the_capacity()
    {
        MemoryBudget budget = new(1000);
        Task[] workers = new Task[16];
        for (int i = 0; i < workers.Length; i++)
        {
            int size = 100 + (i * 37 % 400);
            workers[i] = Task.Run(async () =>
            {
                for (int round = 0; round < 200; round++)
                {
                    using MemoryBudget.Lease lease = await budget.AcquireAsync(size);
                    Assert.True(budget.InUse <= budget.Capacity);
                    await Task.Yield();
                }
            });
        }
        await Task.WhenAll(workers);
        Assert.Equal(0, budget.InUse);
        Assert.InRange(budget.Peak, 100, 1000);
    }

    [Fact]
    public void Refuses_requests_larger_than_the_capacity()
    {
        MemoryBudget budget = new(100);
        Assert.Throws<ArgumentOutOfRangeException>(() => budget.TryAcquire(101, out _));
    }
}
