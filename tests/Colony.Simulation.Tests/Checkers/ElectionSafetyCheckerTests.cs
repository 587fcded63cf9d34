using Colony.Simulation.Checkers;

namespace Colony.Simulation.Tests.Checkers;

public class ElectionSafetyCheckerTests
{
    [Fact]
    public void Two_leaders_in_one_term_are_a_violation()
    {
        var checker = new ElectionSafetyChecker();
        Assert.Null(checker.OnLeader(1, term: 4, now: 0));
        var violation = checker.OnLeader(2, term: 4, now: 10);
        Assert.NotNull(violation);
        Assert.Equal(ViolationKind.ElectionSafety, violation.Kind);
        Assert.Contains("term 4", violation.Detail);
    }

    [Fact]
    public void One_leader_seen_again_and_leaders_of_different_terms_are_fine()
    {
        var checker = new ElectionSafetyChecker();
        Assert.Null(checker.OnLeader(1, term: 4, now: 0));
        Assert.Null(checker.OnLeader(1, term: 4, now: 5));
        Assert.Null(checker.OnLeader(2, term: 5, now: 10));
        Assert.Null(checker.OnLeader(1, term: 6, now: 20));
        Assert.Equal(3, checker.TermsWithLeader);
    }
}
