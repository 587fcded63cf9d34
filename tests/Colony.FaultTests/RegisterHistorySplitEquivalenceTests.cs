using Colony.FaultTests.Workloads;
using Colony.Testing.Linearizability;

namespace Colony.FaultTests;

/// <summary>
/// The split must keep the verdict: small random histories are checked whole (one partition, no cut) and in
/// pieces, and the two verdicts must agree. The histories come from a simulated register, so they start
/// linearizable; about half are then broken in one place, which may or may not make them illegal.
/// </summary>
public sealed class RegisterHistorySplitEquivalenceTests
{
    private const string K = RegisterOps.K;

    [Fact]
    public void Random_histories_have_the_same_verdict_whole_and_in_pieces()
    {
        int ok = 0, illegal = 0, cut = 0, withSpares = 0, illegalWithSpares = 0, counted = 0;
        for (int seed = 1; seed <= 10000; seed++)
        {
            var history = RandomHistory(new Random(seed));
            var whole = LinearizabilityChecker.Check(RegisterOps.Whole, history);
            Assert.True(whole.Outcome != LinearizabilityOutcome.Unknown, $"seed {seed}: the whole history was not decided");
            var pieces = RegisterHistorySplit.Split("znode k0", history);
            var split = LinearizabilityChecker.Check(RegisterModel.Instance, history);
            Assert.True(whole.Outcome == split.Outcome,
                $"seed {seed}: whole {whole.Outcome}, in {pieces.Count} pieces {split.Outcome}\n{split}\n{Describe(history)}\n{Describe(pieces)}");
            ok += whole.IsOk ? 1 : 0;
            illegal += whole.IsOk ? 0 : 1;
            cut += pieces.Count > 1 ? 1 : 0;
            bool spares = pieces.Any(p => p.Operations.Any(o => o.Input.Kind == RegisterOpKind.Spare));
            withSpares += spares ? 1 : 0;
            illegalWithSpares += spares && !whole.IsOk ? 1 : 0;
            counted += pieces.Any(p => p.Operations.Any(o => o.Input.Kind == RegisterOpKind.Tally)) ? 1 : 0;
        }
        // Both verdicts in numbers, and the cuts that carry pending writes over exercised.
        Assert.True(ok >= 6000 && illegal >= 2000, $"{ok} linearizable, {illegal} not");
        Assert.True(cut >= 7000 && withSpares >= 600 && illegalWithSpares >= 150,
            $"{cut} histories cut, {withSpares} with pending writes carried over ({illegalWithSpares} of them illegal)");
        Assert.True(counted >= 60, $"{counted} with a pending cas counted as a gap's writer");
    }

    /// <summary>
    /// 2–4 clients, each calling a few reads, writes and compare-and-sets in turn, with writes of unknown
    /// outcome (which took effect or not) and refused cas; then, for about half, one fault.
    /// </summary>
    private static Operation<RegisterInput, RegisterOutput>[] RandomHistory(Random random)
    {
        int clients = random.Next(2, 5);
        double pendingRate = random.NextDouble() * 0.5;
        var planned = new List<Planned>();
        for (int c = 0; c < clients; c++)
        {
            long time = random.Next(0, 4) * 10;
            int count = random.Next(3, 8);
            for (int i = 0; i < count; i++)
            {
                int roll = random.Next(100);
                var kind = roll < 35 ? RegisterOpKind.Read : roll < 75 ? RegisterOpKind.Write : RegisterOpKind.CompareAndSet;
                long call = time, ret = time + random.Next(1, 5) * 10;
                bool pending = random.NextDouble() < (kind == RegisterOpKind.Read ? 0.05 : pendingRate);
                long? effect = pending && random.Next(2) == 0 ? null : call + random.Next(1, (int)(ret - call));
                planned.Add(new Planned(c, kind, $"{c}.{i}", call, ret, effect, pending));
                time = ret + random.Next(0, 3) * 10;
            }
        }

        // Run the register in the order the operations took effect.
        var outputs = new RegisterOutput[planned.Count];
        var expected = new int[planned.Count];
        var states = new List<RegisterState> { RegisterModel.Instance.Init() };
        var seen = new int[clients];
        foreach (int i in Enumerable.Range(0, planned.Count).Where(i => planned[i].Effect is not null).OrderBy(i => planned[i].Effect))
        {
            var state = states[^1];
            var p = planned[i];
            switch (p.Kind)
            {
                case RegisterOpKind.Read:
                    outputs[i] = new RegisterOutput(true, state.Value, state.Version);
                    break;
                case RegisterOpKind.Write:
                    states.Add(new RegisterState(p.Value, state.Version + 1));
                    outputs[i] = new RegisterOutput(true, null, state.Version + 1);
                    break;
                default:
                    // The version it finds, or as the workload does the last one its client saw, or another.
                    int roll = random.Next(10);
                    expected[i] = roll < 5 ? state.Version : roll < 9 ? seen[p.Client] : state.Version + random.Next(1, 3) * (random.Next(2) * 2 - 1);
                    if (expected[i] == state.Version)
                    {
                        states.Add(new RegisterState(p.Value, state.Version + 1));
                        outputs[i] = new RegisterOutput(true, null, state.Version + 1);
                    }
                    else
                    {
                        outputs[i] = new RegisterOutput(false, null, 0);
                    }
                    break;
            }
            if (!p.Pending && outputs[i].Ok)
            {
                seen[p.Client] = outputs[i].Version;
            }
        }
        var history = new List<Operation<RegisterInput, RegisterOutput>>();
        for (int i = 0; i < planned.Count; i++)
        {
            var p = planned[i];
            if (p.Kind == RegisterOpKind.CompareAndSet && p.Effect is null)
            {
                expected[i] = random.Next(0, states.Count + 1);
            }
            var input = new RegisterInput(p.Kind, K, p.Kind == RegisterOpKind.Read ? null : p.Value, p.Kind == RegisterOpKind.CompareAndSet ? expected[i] : -1);
            history.Add(p.Pending
                ? Operation<RegisterInput, RegisterOutput>.Pending(p.Client, input, p.Call)
                : new Operation<RegisterInput, RegisterOutput>(p.Client, input, outputs[i], p.Call, p.Return));
        }
        if (random.Next(2) == 0)
        {
            Break(random, history, states);
        }
        return [.. history];
    }

    /// <summary>One fault, of a kind a real system could show; whether it makes the history illegal is for the checker to say.</summary>
    private static void Break(Random random, List<Operation<RegisterInput, RegisterOutput>> history, List<RegisterState> states)
    {
        var reads = Enumerable.Range(0, history.Count).Where(i => !history[i].IsPending && history[i].Input.Kind == RegisterOpKind.Read).ToList();
        var writes = Enumerable.Range(0, history.Count).Where(i => !history[i].IsPending && history[i].Input.Kind != RegisterOpKind.Read && history[i].Output.Ok).ToList();
        var pendingWrites = Enumerable.Range(0, history.Count).Where(i => history[i].IsPending && history[i].Input.Kind == RegisterOpKind.Write).ToList();
        switch (random.Next(6))
        {
            case 0 when reads.Count > 0:
            {
                // A read of a value at the wrong version.
                int i = reads[random.Next(reads.Count)];
                var o = history[i];
                history[i] = With(o, o.Output with { Version = o.Output.Version + (random.Next(2) * 2 - 1) });
                break;
            }
            case 1 when reads.Count > 0:
            {
                // A stale read: some earlier state.
                int i = reads[random.Next(reads.Count)];
                var o = history[i];
                var old = states[random.Next(0, Math.Max(1, o.Output.Version))];
                history[i] = With(o, new RegisterOutput(true, old.Value, old.Version));
                break;
            }
            case 2 when pendingWrites.Count > 0:
            {
                // A write of unknown outcome that never was (maybe the only writer of a gap).
                history.RemoveAt(pendingWrites[random.Next(pendingWrites.Count)]);
                break;
            }
            case 3 when pendingWrites.Count > 0:
            {
                // A write of unknown outcome called only after its value was seen (or late, if nobody saw it).
                int i = pendingWrites[random.Next(pendingWrites.Count)];
                var o = history[i];
                long seen = history.Where(r => !r.IsPending && r.Output.Value == o.Input.Value).Select(r => r.ReturnTime).DefaultIfEmpty(o.CallTime + 30).Min();
                history[i] = Operation<RegisterInput, RegisterOutput>.Pending(o.ClientId, o.Input, seen + 5);
                break;
            }
            case 4 when writes.Count > 0:
            {
                // An acknowledged write whose version another write also got, or that skipped one.
                int i = writes[random.Next(writes.Count)];
                var o = history[i];
                history[i] = With(o, o.Output with { Version = o.Output.Version + (random.Next(2) * 2 - 1) });
                break;
            }
            case 5 when reads.Count > 0:
            {
                // A cas refused while a read saw the version it expected.
                var o = history[reads[random.Next(reads.Count)]];
                var input = new RegisterInput(RegisterOpKind.CompareAndSet, K, $"refused {o.CallTime}", o.Output.Version);
                history.Add(new Operation<RegisterInput, RegisterOutput>(99, input, new RegisterOutput(false, null, 0), o.CallTime, o.ReturnTime));
                break;
            }
            default:
                break;
        }
    }

    private static Operation<RegisterInput, RegisterOutput> With(Operation<RegisterInput, RegisterOutput> o, RegisterOutput output) =>
        new(o.ClientId, o.Input, output, o.CallTime, o.ReturnTime);

    private static string Describe(IEnumerable<Operation<RegisterInput, RegisterOutput>> history) =>
        string.Join("\n", history.OrderBy(o => o.CallTime).Select(o => o.ToString()));

    private static string Describe(IReadOnlyList<HistoryPartition<RegisterInput, RegisterOutput>> pieces) =>
        string.Join("\n", pieces.Select(p => $"{p.Name}:\n  " + string.Join("\n  ", p.Operations.Select(o => o.ToString()))));

    private readonly record struct Planned(int Client, RegisterOpKind Kind, string Value, long Call, long Return, long? Effect, bool Pending);
}
