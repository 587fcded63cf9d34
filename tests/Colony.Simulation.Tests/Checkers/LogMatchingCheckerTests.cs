using Colony.Consensus;
using Colony.Simulation.Checkers;

namespace Colony.Simulation.Tests.Checkers;

public class LogMatchingCheckerTests
{
    [Fact]
    public void Logs_that_agree_on_a_common_prefix_and_diverge_after_it_are_fine()
    {
        var checker = new LogMatchingChecker();
        Assert.Null(checker.Observe(1, SnapshotMetadata.Empty, Entries.Log(1, 1, 1, 2, 2), now: 0));
        Assert.Null(checker.Observe(2, SnapshotMetadata.Empty, Entries.Log(1, 1, 1, 3), now: 0));
        Assert.Null(checker.Observe(3, new SnapshotMetadata(2, 1, Membership.Empty), Entries.Log(3, 2, 2), now: 0));
    }

    [Fact]
    public void Same_index_and_term_with_different_content_is_a_violation()
    {
        var checker = new LogMatchingChecker();
        Assert.Null(checker.Observe(1, SnapshotMetadata.Empty, [Entries.Of(1, 1), Entries.Of(2, 2, "a")], now: 0));
        var violation = checker.Observe(2, SnapshotMetadata.Empty, [Entries.Of(1, 1), Entries.Of(2, 2, "b")], now: 0);
        Assert.Equal(ViolationKind.LogMatching, violation?.Kind);
        Assert.Contains("2/2", violation!.Detail);
    }

    [Fact]
    public void Same_index_and_term_after_different_histories_is_a_violation()
    {
        var checker = new LogMatchingChecker();
        Assert.Null(checker.Observe(1, SnapshotMetadata.Empty, Entries.Log(1, 1, 1, 3), now: 0));
        // Entry 3/3 is identical, but node 2 holds term 2 at index 2 where node 1 holds term 1.
        var violation = checker.Observe(2, SnapshotMetadata.Empty, Entries.Log(1, 1, 2, 3), now: 0);
        Assert.Equal(ViolationKind.LogMatching, violation?.Kind);
    }

    [Fact]
    public void A_snapshot_boundary_counts_as_the_previous_entry()
    {
        var checker = new LogMatchingChecker();
        Assert.Null(checker.Observe(1, SnapshotMetadata.Empty, Entries.Log(1, 1, 1, 3), now: 0));
        var violation = checker.Observe(2, new SnapshotMetadata(2, 2, Membership.Empty), Entries.Log(3, 3), now: 0);
        Assert.Equal(ViolationKind.LogMatching, violation?.Kind);
    }

    [Fact]
    public void A_log_with_a_hole_is_a_violation()
    {
        var checker = new LogMatchingChecker();
        var violation = checker.Observe(1, SnapshotMetadata.Empty, [Entries.Of(1, 1), Entries.Of(1, 3)], now: 0);
        Assert.Equal(ViolationKind.LogMatching, violation?.Kind);
    }
}
