using Colony.FaultTests.Workloads;
using Colony.Testing.Linearizability;
using static Colony.FaultTests.RegisterOps;

namespace Colony.FaultTests;

public sealed class RegisterHistorySplitTests
{
    private static IReadOnlyList<HistoryPartition<RegisterInput, RegisterOutput>> Pieces(params Operation<RegisterInput, RegisterOutput>[] history) =>
        RegisterHistorySplit.Split("znode k0", history);

    [Fact]
    public void A_sequential_history_is_cut_at_every_quiet_instant_and_each_piece_starts_from_the_state_before_it()
    {
        var pieces = Pieces(Write(1, "a", 1, 0, 1), Read(2, "a", 1, 2, 3), Write(2, "b", 2, 4, 5), Read(1, "b", 2, 6, 7));

        Assert.Equal(4, pieces.Count);
        var restore = pieces[2].Operations[0];
        Assert.Equal(new RegisterInput(RegisterOpKind.Restore, K, "a", 1), restore.Input);
        Assert.True(restore.ReturnTime < pieces[2].Operations[1].CallTime);
        Assert.Equal(LinearizabilityOutcome.Ok, Check(Write(1, "a", 1, 0, 1), Read(2, "a", 1, 2, 3), Write(2, "b", 2, 4, 5), Read(1, "b", 2, 6, 7)));
    }

    [Fact]
    public void Overlapping_operations_stay_in_one_piece()
    {
        var pieces = Pieces(Write(1, "a", 1, 0, 10), Read(2, "0", 0, 5, 6), Read(3, "a", 1, 8, 12), Write(1, "b", 2, 20, 21));

        Assert.Equal(2, pieces.Count);
        Assert.Equal(3, pieces[0].Operations.Count);
    }

    [Fact]
    public void A_stale_read_and_a_lost_write_are_still_found_across_a_cut()
    {
        Assert.Equal(LinearizabilityOutcome.Illegal, Check(Write(1, "a", 1, 0, 1), Write(1, "b", 2, 2, 3), Read(2, "a", 1, 4, 5)));
        Assert.Equal(LinearizabilityOutcome.Illegal, Check(Write(1, "a", 1, 0, 1), Read(2, "0", 0, 2, 3)));
    }

    [Fact]
    public void A_write_of_unknown_outcome_whose_value_was_read_took_that_version_and_no_longer_blocks_cuts()
    {
        var history = new[] { PendingWrite(1, "x", 0), Read(2, "x", 1, 5, 6), Write(2, "y", 2, 10, 11), Read(3, "y", 2, 12, 13) };

        var settled = RegisterHistorySplit.Settle(history).Select(s => s.Operation);
        var x = Assert.Single(settled, o => o.Input.Value == "x");
        Assert.False(x.IsPending);
        Assert.Equal((1, 6L), (x.Output.Version, x.ReturnTime));
        Assert.Equal(3, Pieces(history).Count);
        Assert.Equal(LinearizabilityOutcome.Ok, Check(history));
    }

    [Fact]
    public void A_write_of_unknown_outcome_nobody_saw_is_dropped_when_every_version_has_a_known_writer()
    {
        var history = new[] { PendingWrite(1, "z", 0), PendingRead(3, 0), Write(2, "a", 1, 1, 2), Read(2, "a", 1, 3, 4) };

        Assert.Equal(2, RegisterHistorySplit.Settle(history).Count);
        Assert.Equal(2, Pieces(history).Count);
        Assert.Equal(LinearizabilityOutcome.Ok, Check(history));
    }

    [Fact]
    public void A_version_nobody_returned_was_written_by_the_only_pending_write_that_could_have()
    {
        // Version 2 has no known writer: only the unseen write can have written it, before the cas saw it.
        var history = new[] { PendingWrite(1, "z", 0), Write(2, "a", 1, 1, 2), Cas(2, 2, "c", 3, 5, 6) };

        var z = Assert.Single(RegisterHistorySplit.Settle(history), s => s.Operation.Input.Value == "z").Operation;
        Assert.Equal((false, 2, 6L), (z.IsPending, z.Output.Version, z.ReturnTime));
        Assert.Equal(LinearizabilityOutcome.Ok, Check(history));
    }

    [Fact]
    public void Pending_writes_that_could_each_have_written_a_version_stay_pending_but_only_within_their_window()
    {
        // Version 3 has no known writer and two pending writes could have written it. Outside the stretch
        // between the call of version 2's writer and the first answer that saw version 3 they cannot matter,
        // so the history is still cut before and after that stretch.
        var history = new[]
        {
            PendingWrite(1, "p", 0), PendingWrite(2, "q", 1),
            Write(3, "a", 1, 2, 3), Read(3, "a", 1, 4, 5),
            Write(3, "b", 2, 10, 11), Write(3, "d", 4, 12, 13),
            Read(3, "d", 4, 20, 21), Read(3, "d", 4, 30, 31),
        };

        var settled = RegisterHistorySplit.Settle(history);
        Assert.All(settled.Where(s => s.Operation.IsPending), s => Assert.Equal((10L, 13L), (s.Operation.CallTime, s.RelevantUntil)));
        var pieces = Pieces(history);
        Assert.Contains(pieces, p => p.Operations.Count(o => o.IsPending) == 2 && p.Operations.Any(o => o.Input.Value == "b"));
        Assert.True(pieces.Count >= 4, $"{pieces.Count} pieces");
        Assert.Equal(LinearizabilityOutcome.Ok, Check(history));
    }

    [Fact]
    public void Two_writers_of_one_version_are_still_a_violation()
    {
        // The known write and the unknown one both claim version 1.
        Assert.Equal(LinearizabilityOutcome.Illegal, Check(Write(1, "a", 1, 0, 1), PendingWrite(2, "x", 0), Read(3, "x", 1, 2, 3)));
    }
}
