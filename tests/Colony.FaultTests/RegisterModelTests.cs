using Colony.FaultTests.Workloads;
using Colony.Testing.Linearizability;
using static Colony.FaultTests.RegisterOps;

namespace Colony.FaultTests;

public sealed class RegisterModelTests
{
    [Fact]
    public void Sequential_reads_writes_and_cas_with_their_versions_are_linearizable()
    {
        Assert.Equal(LinearizabilityOutcome.Ok, Check(
            Read(1, "0", 0, 0, 1),
            Write(1, "a", 1, 2, 3),
            Cas(2, 1, "b", 2, 4, 5),
            FailedCas(1, 1, "c", 6, 7),
            Read(2, "b", 2, 8, 9)));
    }

    [Fact]
    public void A_read_of_an_older_version_after_a_newer_write_completed_is_a_stale_read()
    {
        Assert.Equal(LinearizabilityOutcome.Illegal, Check(
            Write(1, "a", 1, 0, 1),
            Read(2, "0", 0, 2, 3)));
    }

    [Fact]
    public void Two_acknowledged_writes_of_one_version_mean_one_was_lost()
    {
        Assert.Equal(LinearizabilityOutcome.Illegal, Check(
            Write(1, "a", 1, 0, 10),
            Write(2, "b", 1, 0, 10)));
    }

    [Fact]
    public void A_cas_refused_while_its_version_was_current_is_illegal()
    {
        Assert.Equal(LinearizabilityOutcome.Illegal, Check(
            Read(1, "0", 0, 0, 1),
            FailedCas(1, 0, "a", 2, 3),
            Read(1, "0", 0, 4, 5)));
    }

    [Fact]
    public void A_write_with_unknown_outcome_may_have_happened_and_may_not()
    {
        var pending = Operation<RegisterInput, RegisterOutput>.Pending(1, new RegisterInput(RegisterOpKind.Write, K, "a"), 0);
        Assert.Equal(LinearizabilityOutcome.Ok, Check(pending, Read(2, "a", 1, 5, 6)));
        Assert.Equal(LinearizabilityOutcome.Ok, Check(pending, Read(2, "0", 0, 5, 6)));
        // But it cannot have happened twice, nor with another version.
        Assert.Equal(LinearizabilityOutcome.Illegal, Check(pending, Read(2, "a", 2, 5, 6)));
    }

    [Fact]
    public void Concurrent_writes_may_take_effect_in_either_order()
    {
        Assert.Equal(LinearizabilityOutcome.Ok, Check(
            Write(1, "a", 2, 0, 10),
            Write(2, "b", 1, 0, 10),
            Read(3, "a", 2, 11, 12)));
    }

    [Fact]
    public void Znodes_are_checked_apart()
    {
        var other = new Operation<RegisterInput, RegisterOutput>(3, new RegisterInput(RegisterOpKind.Read, "/register/k1"), new RegisterOutput(true, "0", 0), 20, 21);
        Assert.Equal(LinearizabilityOutcome.Ok, Check(Write(1, "a", 1, 0, 1), other));
        Assert.Equal(2, RegisterModel.Instance.Partition([Write(1, "a", 1, 0, 1), other]).Count);
    }
}
