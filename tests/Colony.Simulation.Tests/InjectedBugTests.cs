using Colony.Consensus;
using Colony.Simulation.Checkers;
using Xunit.Abstractions;

namespace Colony.Simulation.Tests;

/// <summary>
/// The simulator earns trust by catching known bugs: each injected mutation of the core or driver
/// must be found by the ordinary checkers within a bounded number of seeds.
/// </summary>
public class InjectedBugTests(ITestOutputHelper output)
{
    [Fact]
    public void A_voter_that_votes_twice_in_a_term_is_caught_by_election_safety() =>
        AssertCaught(InjectedBugs.DoubleVote, maxSeeds: 10, ViolationKind.ElectionSafety);

    [Fact]
    public void A_leader_that_commits_without_a_majority_is_caught_by_a_safety_checker() =>
        AssertCaught(InjectedBugs.CommitWithoutMajority, maxSeeds: 10,
            ViolationKind.StateMachineSafety, ViolationKind.LeaderCompleteness, ViolationKind.Linearizability);

    [Fact]
    public void A_driver_that_acknowledges_before_flushing_is_caught_by_a_safety_checker() =>
        AssertCaught(InjectedBugs.AckBeforePersist, maxSeeds: 60,
            ViolationKind.ElectionSafety, ViolationKind.LogMatching, ViolationKind.LeaderCompleteness,
            ViolationKind.StateMachineSafety, ViolationKind.Linearizability);

    [Fact]
    public void A_follower_that_commits_an_older_terms_entry_from_a_durable_notice_is_caught_by_a_safety_checker() =>
        AssertCaught(InjectedBugs.DurableCommitAnyTerm, maxSeeds: 40,
            ViolationKind.StateMachineSafety, ViolationKind.LeaderCompleteness, ViolationKind.LogMatching, ViolationKind.Linearizability);

    [Fact]
    public void A_leader_whose_reads_ignore_what_it_announced_durable_is_caught_by_linearizability() =>
        AssertCaught(InjectedBugs.DurableReadPointIgnored, maxSeeds: 10, ViolationKind.Linearizability);

    [Fact]
    public void A_leader_that_sends_durable_notices_where_two_copies_are_no_quorum_is_caught_by_a_safety_checker() =>
        AssertCaught(InjectedBugs.DurableNoticeAnyQuorum, maxSeeds: 10,
            ViolationKind.StateMachineSafety, ViolationKind.LeaderCompleteness, ViolationKind.Linearizability);

    [Fact]
    public void A_leader_that_sends_its_durable_notice_before_its_flush_ends_is_caught_by_a_safety_checker() =>
        AssertCaught(InjectedBugs.DurableNoticeBeforeFlush, maxSeeds: 15,
            ViolationKind.StateMachineSafety, ViolationKind.LeaderCompleteness, ViolationKind.Linearizability);

    [Fact]
    public void A_server_that_reads_its_local_state_without_a_read_index_is_caught_by_linearizability() =>
        AssertCaught(new SimulationConfig(0) { LocalReads = true }, "local reads", maxSeeds: 10, ViolationKind.Linearizability);

    private void AssertCaught(InjectedBugs bug, int maxSeeds, params ViolationKind[] expected) =>
        AssertCaught(new SimulationConfig(0) { Bugs = bug }, bug.ToString(), maxSeeds, expected);

    private void AssertCaught(SimulationConfig config, string bug, int maxSeeds, params ViolationKind[] expected)
    {
        var seen = new List<string>();
        for (ulong seed = 0; seed < (ulong)maxSeeds; seed++)
        {
            var result = Simulator.Run(config with { Seed = seed });
            if (result.Violation is { } violation)
            {
                seen.Add($"seed {seed}: {violation}");
                if (expected.Contains(violation.Kind))
                {
                    output.WriteLine($"{bug} caught after {seed + 1} seeds: {violation}");
                    return;
                }
            }
        }
        Assert.Fail($"{bug} was not caught as {string.Join(" or ", expected)} in {maxSeeds} seeds; saw: {string.Join("; ", seen)}");
    }
}
