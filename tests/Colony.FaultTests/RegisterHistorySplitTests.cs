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

    [Fact]
    public void Pending_plain_writes_whose_windows_run_past_a_cut_are_carried_over_it_as_a_count()
    {
        // A write nobody saw fills version 1, another never takes effect; both could fill the later gap (version 3),
        // so their windows run past the cut after version 2, and the next piece carries the spare one.
        var history = new[]
        {
            PendingWrite(1, "p", 0), PendingWrite(2, "q", 1), Write(3, "a", 2, 10, 20), Read(3, "a", 2, 30, 40),
            Write(3, "b", 4, 50, 60), Read(4, "b", 4, 70, 80),
        };

        // Cut before every completed operation after the first write.
        var pieces = Pieces(history);
        Assert.Equal(4, pieces.Count);
        Assert.Equal(3, pieces[0].Operations.Count);
        var restore = pieces[1].Operations[0];
        Assert.Equal(new RegisterInput(RegisterOpKind.Restore, K, "a", 2), restore.Input);
        var spare = Assert.Single(pieces[1].Operations, o => o.IsPending);
        Assert.Equal(RegisterOpKind.Spare, spare.Input.Kind);
        Assert.DoesNotContain(history, o => o.Input.Value == spare.Input.Value);
        Assert.True(restore.ReturnTime <= spare.CallTime && spare.CallTime < 30);
        // Once version 3 has been seen, no write pending can matter any more: nothing is carried.
        Assert.DoesNotContain(pieces[3].Operations, o => o.IsPending);
        Assert.Equal(LinearizabilityOutcome.Ok, Check(history));

        // Without a spare write, version 3 had no possible writer: the piece after the cut says so.
        var noSpare = history.Where(o => o.Input.Value != "q").ToArray();
        Assert.Equal(LinearizabilityOutcome.Illegal, CheckWhole(noSpare));
        Assert.Equal(LinearizabilityOutcome.Illegal, Check(noSpare));
    }

    [Fact]
    public void A_long_stretch_of_writes_of_unknown_outcome_across_gaps_is_cut_round_by_round()
    {
        // The shape of the stretch 30-minute campaigns left undecided: writes time out all along, and versions
        // nobody saw keep appearing, so every pending write's window runs to the end of the stretch.
        const int rounds = 300;
        var history = Rounds(rounds);

        // Every pending write's window runs into the last round, so no instant before it is quiescent.
        long lastRound = 1000 * rounds;
        Assert.All(RegisterHistorySplit.Settle(history).Where(s => s.Operation.IsPending), s => Assert.True(s.RelevantUntil > lastRound));

        // Cut at every otherwise quiet instant: each piece holds a few answers (and the writes still pending).
        var pieces = Pieces(history);
        Assert.True(pieces.Count >= rounds, $"{pieces.Count} pieces");
        int answers = pieces.Max(p => p.Operations.Count(o => !o.IsPending && o.ClientId >= 0));
        Assert.True(answers <= 3, $"a piece of {answers} answers");
        Assert.Equal(LinearizabilityOutcome.Ok, Check(history));

        // A stale read deep in the stretch is found in its piece. Whole, the search would have to rule out every
        // way the pending writes could have filled the gaps before it, and at the default budget it does not.
        var broken = Rounds(rounds, staleReadInRound: 250);
        var result = LinearizabilityChecker.Check(RegisterModel.Instance, broken);
        Assert.Equal(LinearizabilityOutcome.Illegal, result.Outcome);
        Assert.Contains("piece", result.Partition);
        Assert.Equal(LinearizabilityOutcome.Unknown, CheckWhole(broken));
    }

    [Fact]
    public void A_gap_a_pending_cas_could_fill_is_counted_by_checking_the_piece()
    {
        // In round 1, a pending cas could have written the gap (version 4) in place of a pending write, which
        // would leave one more write free. The piece can have it so, so the next piece carries one more spare,
        // and the piece itself is checked with the cas counted.
        var cas = PendingCas(99, 3, "x", 2005);
        var history = Rounds(6).Append(cas).ToArray();

        var pieces = Pieces(history);
        var withCas = Assert.Single(pieces, p => p.Operations.Any(o => o.Input.Value == "x"));
        Assert.Contains(withCas.Operations, o => o.Input.Kind == RegisterOpKind.CountedCas);
        var tally = Assert.Single(withCas.Operations, o => o.Input.Kind == RegisterOpKind.Tally);
        Assert.Equal(1, tally.Input.ExpectedVersion);
        // The piece after it, against the piece starting from the same state without the cas.
        var after = pieces[pieces.ToList().IndexOf(withCas) + 1];
        var without = Assert.Single(Pieces(Rounds(6)), p => p.Operations[0] == after.Operations[0]);
        Assert.Equal(Spares(without) + 1, Spares(after));
        Assert.Equal(LinearizabilityOutcome.Ok, Check(history));

        // Had version 3 already been replaced when it was called (the refusal says so), it wrote nothing: no count.
        var refusal = FailedCas(98, 3, "r", 2001, 2004);
        var refused = Rounds(6).Append(refusal).Append(cas).ToArray();
        var noCount = Pieces(refused);
        Assert.DoesNotContain(noCount, p => p.Operations.Any(o => o.Input.Kind is RegisterOpKind.Tally or RegisterOpKind.CountedCas));
        Assert.Equal(Pieces(Rounds(6).Append(refusal).ToArray()).Select(Spares), noCount.Select(Spares));
        Assert.Equal(LinearizabilityOutcome.Ok, Check(refused));
        Assert.Equal(LinearizabilityOutcome.Ok, CheckWhole(refused));

        static int Spares(HistoryPartition<RegisterInput, RegisterOutput> piece) => piece.Operations.Count(o => o.Input.Kind == RegisterOpKind.Spare);
    }

    [Fact]
    public void Fewer_pending_writes_than_gaps_is_not_cut_through_and_is_a_violation()
    {
        // Versions 1 to 3 were written by nobody known, and only two writes of unknown outcome could have.
        var history = new[]
        {
            PendingWrite(1, "p", 0), PendingWrite(2, "q", 1), Write(3, "a", 4, 10, 20), Read(3, "a", 4, 30, 40),
            PendingWrite(4, "r", 50), Write(3, "b", 6, 60, 70), Read(3, "b", 6, 80, 90),
        };

        var pieces = Pieces(history);
        Assert.Single(pieces, p => p.Operations.Any(o => o.Input.Value == "a") && p.Operations.Any(o => o.Input.Kind == RegisterOpKind.Read));
        Assert.Equal(LinearizabilityOutcome.Illegal, CheckWhole(history));
        Assert.Equal(LinearizabilityOutcome.Illegal, Check(history));
    }

    [Fact]
    public void A_refused_cas_of_the_last_version_keeps_a_write_of_unknown_outcome_that_may_explain_it()
    {
        // The cas expected the version it had seen; the write nobody saw may have come first.
        var history = new[] { Write(1, "a", 1, 0, 1), PendingWrite(2, "x", 2), FailedCas(3, 1, "c", 3, 4) };

        Assert.Equal(LinearizabilityOutcome.Ok, CheckWhole(history));
        Assert.Equal(LinearizabilityOutcome.Ok, Check(history));
    }

    [Fact]
    public void A_refusal_that_needs_a_write_after_the_newest_version_is_not_cut_from_what_follows()
    {
        // One of x and y wrote version 1; the cas could only be refused if the other then wrote version 3,
        // but the later read still sees version 2. Cut after the refusal, each side alone would pass.
        var history = new[] { PendingWrite(1, "x", 0), PendingWrite(2, "y", 0), Write(3, "a", 2, 1, 2), FailedCas(3, 2, "c", 3, 4), Read(3, "a", 2, 5, 6) };

        Assert.Equal(LinearizabilityOutcome.Illegal, CheckWhole(history));
        Assert.Single(Pieces(history), p => p.Operations.Any(o => o.Input.Kind == RegisterOpKind.CompareAndSet) && p.Operations.Any(o => o.Input.Kind == RegisterOpKind.Read));
        Assert.Equal(LinearizabilityOutcome.Illegal, Check(history));
    }

    /// <summary>
    /// Rounds 1000 ticks apart, each three versions long: a write nobody saw takes the first (a gap), a known
    /// write the second and a cas the third, with reads around them, a stale refused cas, and a second write of
    /// unknown outcome that never took effect.
    /// </summary>
    private static Operation<RegisterInput, RegisterOutput>[] Rounds(int rounds, int staleReadInRound = -1)
    {
        var history = new List<Operation<RegisterInput, RegisterOutput>>();
        for (int r = 0; r < rounds; r++)
        {
            long t = 1000 * (r + 1);
            int v = 3 * r;
            string before = r == 0 ? RegisterModel.InitialValue : $"c{r - 1}";
            history.Add(PendingWrite(1000 + r, $"p{r}", t));
            history.Add(Read(3, before, v, t + 1, t + 8));
            history.Add(Write(1, $"w{r}", v + 2, t + 10, t + 20));
            history.Add(PendingWrite(2000 + r, $"q{r}", t + 15));
            history.Add(r == staleReadInRound ? Read(2, before, v, t + 30, t + 40) : Read(2, $"w{r}", v + 2, t + 30, t + 40));
            history.Add(Cas(2, v + 2, $"c{r}", v + 3, t + 60, t + 70));
            history.Add(FailedCas(1, v, $"f{r}", t + 75, t + 78));
            history.Add(Read(3, $"c{r}", v + 3, t + 80, t + 90));
        }
        return [.. history];
    }
}
