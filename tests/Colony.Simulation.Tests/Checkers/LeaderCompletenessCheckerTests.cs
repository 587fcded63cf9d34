using Colony.Consensus;
using Colony.Simulation.Checkers;

namespace Colony.Simulation.Tests.Checkers;

public class LeaderCompletenessCheckerTests
{
    [Fact]
    public void A_leader_missing_an_entry_committed_in_an_earlier_term_is_a_violation()
    {
        var checker = new LeaderCompletenessChecker();
        Assert.Null(checker.OnCommitted(1, term: 1, Entries.Log(1, 1, 1, 1), now: 0));
        var violation = checker.OnTookOffice(2, term: 2, SnapshotMetadata.Empty, Entries.Log(1, 1, 1), now: 5);
        Assert.Equal(ViolationKind.LeaderCompleteness, violation?.Kind);
        Assert.Contains("1/3", violation!.Detail);
    }

    [Fact]
    public void A_leader_holding_another_entry_at_a_committed_index_is_a_violation()
    {
        var checker = new LeaderCompletenessChecker();
        Assert.Null(checker.OnCommitted(1, term: 1, Entries.Log(1, 1, 1), now: 0));
        var violation = checker.OnTookOffice(2, term: 3, SnapshotMetadata.Empty, Entries.Log(1, 1, 2), now: 5);
        Assert.Equal(ViolationKind.LeaderCompleteness, violation?.Kind);
    }

    [Fact]
    public void A_leader_with_every_committed_entry_or_a_snapshot_covering_them_is_fine()
    {
        var checker = new LeaderCompletenessChecker();
        Assert.Null(checker.OnCommitted(1, term: 1, Entries.Log(1, 1, 1, 1, 1), now: 0));
        Assert.Null(checker.OnTookOffice(2, term: 2, SnapshotMetadata.Empty, Entries.Log(1, 1, 1, 1, 1, 2), now: 5));
        Assert.Null(checker.OnTookOffice(3, term: 3, new SnapshotMetadata(3, 1, Membership.Empty), Entries.Log(4, 1, 2), now: 6));
        Assert.Equal(4UL, checker.KnownCommitted);
    }

    [Fact]
    public void A_snapshot_ending_on_another_entry_than_the_committed_one_is_a_violation()
    {
        var checker = new LeaderCompletenessChecker();
        Assert.Null(checker.OnCommitted(1, term: 1, Entries.Log(1, 1, 1, 1), now: 0));
        var violation = checker.OnTookOffice(2, term: 3, new SnapshotMetadata(3, 2, Membership.Empty), [], now: 5);
        Assert.Equal(ViolationKind.LeaderCompleteness, violation?.Kind);
    }

    [Fact]
    public void Entries_committed_in_the_new_leaders_term_or_later_are_not_required()
    {
        // A stale candidate may win a term whose voters have since moved on and committed more.
        var checker = new LeaderCompletenessChecker();
        Assert.Null(checker.OnCommitted(1, term: 1, Entries.Log(1, 1), now: 0));
        Assert.Null(checker.OnCommitted(3, term: 3, [Entries.Of(1, 2)], now: 1));
        Assert.Null(checker.OnTookOffice(2, term: 2, SnapshotMetadata.Empty, Entries.Log(1, 1), now: 2));
    }

    [Fact]
    public void A_committed_entry_that_changes_is_a_violation()
    {
        var checker = new LeaderCompletenessChecker();
        Assert.Null(checker.OnCommitted(1, term: 1, Entries.Log(1, 1, 1), now: 0));
        var violation = checker.OnCommitted(2, term: 2, [Entries.Of(2, 2)], now: 5);
        Assert.Equal(ViolationKind.LeaderCompleteness, violation?.Kind);
    }
}
