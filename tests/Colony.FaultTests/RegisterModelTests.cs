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

    [Fact]
    public void Spare_writes_take_effect_one_after_another_and_counted_cas_are_tallied()
    {
        var model = RegisterModel.Instance;
        var spare = (int n) => new RegisterInput(RegisterOpKind.Spare, K, "spare", n);
        // The second spare cannot go first: spares are interchangeable, so only one order is searched.
        Assert.False(model.StepPending(model.Init(), spare(1), out _));
        Assert.True(model.StepPending(model.Init(), spare(0), out var one));
        Assert.True(model.StepPending(one, spare(1), out var two));
        Assert.Equal(new RegisterState("spare", 2, SparesSpent: 2), two);

        var counted = new RegisterInput(RegisterOpKind.CountedCas, K, "c", 2);
        Assert.False(model.StepPending(one, counted, out _));
        Assert.True(model.StepPending(two, counted, out var three));
        Assert.Equal((3, 1), (three.Version, three.CasCounted));
        var tally = (int n) => new RegisterInput(RegisterOpKind.Tally, K, null, n);
        Assert.True(model.Step(three, tally(1), new RegisterOutput(true, null, 0), out var after));
        Assert.Equal(three, after);
        Assert.False(model.Step(three, tally(2), new RegisterOutput(true, null, 0), out _));
    }
}
