using Colony.FaultTests.Workloads;

namespace Colony.FaultTests;

public sealed class EphemeralCheckTests
{
    private const string A = "/ephemerals/0000000000000001-1";

    private static EphemeralListing Listing(long call, long ret, params string[] paths) => new(call, ret, paths.ToHashSet());

    [Fact]
    public void An_ephemeral_listed_while_its_session_lives_and_then_gone_for_good_is_valid()
    {
        var verdict = EphemeralCheck.Check([new(1, A, 0, 1)],
            [Listing(0, 1), Listing(2, 3, A), Listing(4, 5, A), Listing(6, 7), Listing(8, 9)], []);
        Assert.True(verdict.Valid, verdict.ToString());
    }

    [Fact]
    public void An_ephemeral_listed_again_after_its_session_ended_is_a_violation()
    {
        var verdict = EphemeralCheck.Check([new(1, A, 0, 1)], [Listing(2, 3, A), Listing(4, 5), Listing(6, 7, A)], []);
        Assert.False(verdict.Valid);
        Assert.Contains("listed again", verdict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Listings_concurrent_with_the_one_that_missed_it_may_still_show_it()
    {
        var verdict = EphemeralCheck.Check([new(1, A, 0, 1)], [Listing(2, 10), Listing(3, 11, A)], []);
        Assert.True(verdict.Valid, verdict.ToString());
    }

    [Fact]
    public void An_owner_finding_its_node_gone_while_its_session_answers_is_a_violation()
    {
        var verdict = EphemeralCheck.Check([new(1, A, 0, 1)], [], [A]);
        Assert.False(verdict.Valid);
    }
}
