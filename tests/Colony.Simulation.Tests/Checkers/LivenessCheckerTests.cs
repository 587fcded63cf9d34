using Colony.Simulation.Checkers;

namespace Colony.Simulation.Tests.Checkers;

public class LivenessCheckerTests
{
    [Fact]
    public void No_leader_by_the_deadline_is_a_violation()
    {
        var checker = new LivenessChecker(healedAt: 100, budget: 50);
        var violation = checker.Verdict(now: 150, cluster: "all followers");
        Assert.Equal(ViolationKind.Liveness, violation?.Kind);
        Assert.Contains("no leader", violation!.Detail);
    }

    [Fact]
    public void A_write_never_read_back_is_a_violation()
    {
        var checker = new LivenessChecker(healedAt: 100, budget: 50);
        checker.OnLeader(110);
        checker.OnWriteCommitted(120);
        checker.OnConverged(130);
        Assert.Contains("not read back", checker.Verdict(now: 150, cluster: "")!.Detail);
    }

    [Fact]
    public void Leader_write_read_and_convergence_in_order_satisfy_it()
    {
        var checker = new LivenessChecker(healedAt: 100, budget: 50);
        checker.OnLeader(110);
        checker.OnReadBack(111);
        checker.OnWriteCommitted(120);
        checker.OnReadBack(125);
        checker.OnConverged(130);
        Assert.True(checker.Satisfied);
        Assert.Null(checker.Verdict(now: 150, cluster: ""));
    }
}
