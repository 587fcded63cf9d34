using Colony.Consensus;
using Colony.Simulation.Checkers;

namespace Colony.Simulation.Tests.Checkers;

public class StateMachineSafetyCheckerTests
{
    [Fact]
    public void Two_nodes_applying_different_entries_at_one_index_is_a_violation()
    {
        var checker = new StateMachineSafetyChecker();
        checker.OnRecovered(1, 0);
        checker.OnRecovered(2, 0);
        Assert.Null(checker.OnApplied(1, Entries.Of(1, 1), now: 0));
        Assert.Null(checker.OnApplied(2, Entries.Of(1, 1), now: 0));
        Assert.Null(checker.OnApplied(1, Entries.Of(1, 2, "x"), now: 1));
        var violation = checker.OnApplied(2, Entries.Of(2, 2, "y"), now: 2);
        Assert.Equal(ViolationKind.StateMachineSafety, violation?.Kind);
    }

    [Fact]
    public void Applying_out_of_order_is_a_violation()
    {
        var checker = new StateMachineSafetyChecker();
        checker.OnRecovered(1, 0);
        Assert.Null(checker.OnApplied(1, Entries.Of(1, 1), now: 0));
        Assert.Equal(ViolationKind.StateMachineSafety, checker.OnApplied(1, Entries.Of(1, 3), now: 1)?.Kind);
    }

    [Fact]
    public void A_restart_reapplies_from_the_snapshot_and_a_restore_skips_ahead()
    {
        var checker = new StateMachineSafetyChecker();
        checker.OnRecovered(1, 0);
        Assert.Null(checker.OnApplied(1, Entries.Of(1, 1), now: 0));
        Assert.Null(checker.OnApplied(1, Entries.Of(1, 2), now: 0));
        checker.OnRecovered(1, 1);
        Assert.Null(checker.OnApplied(1, Entries.Of(1, 2), now: 1));
        Assert.Null(checker.OnSnapshotRestored(1, new SnapshotMetadata(10, 1, Membership.Empty), now: 2));
        Assert.Null(checker.OnApplied(1, Entries.Of(1, 11), now: 3));
    }

    [Fact]
    public void A_restore_that_goes_back_or_ends_on_another_entry_is_a_violation()
    {
        var checker = new StateMachineSafetyChecker();
        checker.OnRecovered(1, 0);
        checker.OnRecovered(2, 0);
        Assert.Null(checker.OnApplied(1, Entries.Of(1, 1), now: 0));
        Assert.Null(checker.OnApplied(1, Entries.Of(1, 2), now: 0));
        Assert.Equal(ViolationKind.StateMachineSafety,
            checker.OnSnapshotRestored(1, new SnapshotMetadata(1, 1, Membership.Empty), now: 1)?.Kind);
        Assert.Equal(ViolationKind.StateMachineSafety,
            checker.OnSnapshotRestored(2, new SnapshotMetadata(2, 5, Membership.Empty), now: 1)?.Kind);
    }

    [Fact]
    public void Nodes_at_the_same_applied_index_with_different_states_are_a_violation()
    {
        KeyValuePair<string, string> Pair(string key, string value) => new(key, value);
        var states = new[]
        {
            new NodeState(1, 7, [Pair("a", "1"), Pair("b", "2")]),
            new NodeState(2, 7, [Pair("b", "2"), Pair("a", "1")]),
            new NodeState(3, 6, [Pair("a", "1")]),
        };
        Assert.Null(StateMachineSafetyChecker.CompareStates(states, now: 0));
        var diverged = states.Append(new NodeState(4, 7, [Pair("a", "1"), Pair("b", "3")])).ToList();
        Assert.Equal(ViolationKind.StateMachineSafety, StateMachineSafetyChecker.CompareStates(diverged, now: 0)?.Kind);
    }
}
