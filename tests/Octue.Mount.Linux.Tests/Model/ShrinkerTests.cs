using Microsoft.Extensions.Time.Testing;
using Octue.Mount.ModelTest;

namespace Octue.Mount.Linux.Tests.Model;

/// <summary>
/// The model test's shrinker on a stand-in for a mount: a replay that skips operations on descriptors that are not
/// open (as a replay of a shrunk sequence does) and fails at a write of seed 42 through descriptor 3.
/// </summary>
public sealed class ShrinkerTests
{
    private const int FailingSeed = 42;

    [Fact]
    public async Task A_failure_shrinks_to_the_two_operations_that_cause_it()
    {
        var failing = Replay(Sequence(failAt: 250, length: 400))!;
        var minimal = await Shrinker.ShrinkAsync(failing, candidate => Task.FromResult<IReadOnlyList<Operation>?>(Replay(candidate)),
            TimeSpan.FromMinutes(1), _ => { }, new FakeTimeProvider());

        Assert.Equal([OperationKind.Create, OperationKind.Write], minimal.Select(op => op.Kind));
        Assert.Equal(FailingSeed, minimal[1].DataSeed);
        Assert.Equal(minimal, Replay(minimal)!);
    }

    [Fact]
    public async Task A_reproduction_cut_short_by_the_budget_holds_only_operations_its_replay_ran()
    {
        // The budget ends after the first replay: its candidate (the first half) fails, and what is kept is what that
        // replay executed, never the operations it skipped or those after the failure.
        var sequence = Sequence(failAt: 150, length: 400);
        var clock = new FakeTimeProvider();
        var shrunk = await Shrinker.ShrinkAsync(sequence, candidate =>
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            return Task.FromResult<IReadOnlyList<Operation>?>(Replay(candidate));
        }, TimeSpan.FromSeconds(1), _ => { }, clock);

        Assert.Equal(Replay(sequence[..200])!, shrunk);
        Assert.DoesNotContain(shrunk, op => op.Slot == 5);
        Assert.Equal(FailingSeed, shrunk[^1].DataSeed);
    }

    /// <summary>
    /// Work on descriptors 0-2, writes through descriptor 5 (never opened: skipped by a replay), descriptor 3 opened
    /// early and the write that fails at <paramref name="failAt"/>.
    /// </summary>
    private static List<Operation> Sequence(int failAt, int length)
    {
        var random = new Random(7);
        var operations = new List<Operation>();
        for (var i = 0; i < length; i++)
        {
            var slot = random.Next(3);
            operations.Add(i switch
            {
                _ when i == failAt => new Operation { Kind = OperationKind.Write, Slot = 3, Length = 1, DataSeed = FailingSeed },
                20 => new Operation { Kind = OperationKind.Create, Slot = 3, Path = "f3" },
                _ when i % 17 == 0 => new Operation { Kind = OperationKind.Write, Slot = 5, Length = 1, DataSeed = FailingSeed },
                _ => random.Next(3) switch
                {
                    0 => new Operation { Kind = OperationKind.Create, Slot = slot, Path = $"f{slot}" },
                    1 => new Operation { Kind = OperationKind.Close, Slot = slot },
                    _ => new Operation { Kind = OperationKind.Write, Slot = slot, Length = 1, DataSeed = random.Next(100, 1000) },
                },
            });
        }

        return operations;
    }

    /// <summary>The operations that ran, through the failing one; null when the sequence did not fail.</summary>
    private static List<Operation>? Replay(IReadOnlyList<Operation> operations)
    {
        var open = new HashSet<int>();
        var executed = new List<Operation>();
        foreach (var op in operations)
        {
            var valid = op.Kind switch
            {
                OperationKind.Create => open.Add(op.Slot),
                OperationKind.Close => open.Remove(op.Slot),
                _ => open.Contains(op.Slot),
            };
            if (!valid)
            {
                continue;
            }

            executed.Add(op);
            if (op is { Kind: OperationKind.Write, Slot: 3, DataSeed: FailingSeed })
            {
                return executed;
            }
        }

        return null;
    }
}
