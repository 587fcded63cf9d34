using Colony.Testing.Linearizability;

namespace Colony.FaultTests.Workloads;

/// <summary>
/// Makes one znode's long history checkable in pieces. Versions are what make it possible: every
/// successful setData takes the next version, and every answer names the version it saw, so each
/// version has exactly one writer in a linearizable history.
/// <list type="number">
/// <item>Operations of unknown outcome are settled where the history proves how they ended. A read that
/// never returned constrains nothing. A write whose value some answer saw (values are unique) took
/// that version's slot, so it took effect before anything that saw that version or a later one. A
/// compare-and-set can only have written the version after the one it expected. A version that was
/// seen but that no completed write returned was written by a pending one called before it was seen:
/// if only one could have, it did. A pending operation that could have written no seen version took
/// effect after all that was observed, or never, and changes nothing a check could see.</item>
/// <item>An operation still of unknown outcome matters only while it could still write a version somebody
/// saw: from the call of the writer of the version before the first one it could write, to the first
/// answer that saw the last one it could write. Outside that window it is as if it never ran.</item>
/// <item>The history is then cut at quiescent points: instants when no operation is in flight or in its
/// window, and the newest version seen has a known writer. The state there is known, that version and
/// its value, so each piece is checked from it (a <see cref="RegisterOpKind.Restore"/> opens the piece).</item>
/// </list>
/// Both steps keep the verdict: the pieces are all linearizable exactly when the whole is. A piece
/// whose operations contradict each other (two writers of one version, say) is left for the search
/// to reject.
/// </summary>
public static class RegisterHistorySplit
{
    /// <summary>An operation and the last instant it can matter: its return, or for one of unknown outcome the end of its window.</summary>
    public readonly record struct Settled(Operation<RegisterInput, RegisterOutput> Operation, long RelevantUntil);

    public static IReadOnlyList<HistoryPartition<RegisterInput, RegisterOutput>> Split(string name, IReadOnlyList<Operation<RegisterInput, RegisterOutput>> history)
    {
        var ordered = Settle(history).OrderBy(s => s.Operation.CallTime).ThenBy(s => s.Operation.ReturnTime).ToList();
        var pieces = new List<HistoryPartition<RegisterInput, RegisterOutput>>();
        var current = new List<Operation<RegisterInput, RegisterOutput>>();
        var state = RegisterModel.Instance.Init();
        var start = state;
        long reach = long.MinValue;
        int newestSeen = 0;
        foreach (var (op, until) in ordered)
        {
            if (current.Count > 0 && reach < op.CallTime && state.Version == newestSeen)
            {
                pieces.Add(Piece(name, pieces.Count, start, current));
                start = state;
                current = [];
            }
            current.Add(op);
            reach = Math.Max(reach, until);
            if (!op.IsPending && op.Output.Ok)
            {
                newestSeen = Math.Max(newestSeen, op.Output.Version);
                if (op.Input.Kind != RegisterOpKind.Read && op.Output.Version > state.Version)
                {
                    state = new RegisterState(op.Input.Value!, op.Output.Version);
                }
            }
        }
        if (current.Count > 0 || pieces.Count == 0)
        {
            pieces.Add(Piece(name, pieces.Count, start, current));
        }
        if (pieces.Count == 1)
        {
            return [new HistoryPartition<RegisterInput, RegisterOutput>(name, pieces[0].Operations)];
        }
        return pieces;
    }

    /// <summary>Settles what the history proves of operations of unknown outcome (see the type's summary).</summary>
    public static List<Settled> Settle(IReadOnlyList<Operation<RegisterInput, RegisterOutput>> history)
    {
        // Who wrote each version, as far as completed answers say, and which values were seen at which version.
        var writers = new Dictionary<int, Operation<RegisterInput, RegisterOutput>>();
        var seenAt = new Dictionary<string, int>(StringComparer.Ordinal);
        int lastSeen = 0;
        foreach (var op in history)
        {
            if (op.IsPending || !op.Output.Ok)
            {
                continue;
            }
            lastSeen = Math.Max(lastSeen, op.Output.Version);
            if (op.Input.Kind == RegisterOpKind.Read)
            {
                seenAt.TryAdd(op.Output.Value ?? "", op.Output.Version);
            }
            else
            {
                writers.TryAdd(op.Output.Version, op);
                seenAt.TryAdd(op.Input.Value!, op.Output.Version);
            }
        }
        var pending = history.Where(o => o.IsPending && o.Input.Kind != RegisterOpKind.Read).ToList();
        var settled = history.Where(o => !o.IsPending).ToList();
        // Versions up to the last one seen that no known operation wrote (only a pending one can have), each
        // with the first answer that saw it or a later one: its writer took effect before that.
        Dictionary<int, long> Gaps() => Enumerable.Range(1, lastSeen).Where(v => !writers.ContainsKey(v)).ToDictionary(v => v, v => SawAtLeast(settled, v) ?? long.MaxValue);
        List<int> CouldFill(in Operation<RegisterInput, RegisterOutput> op, Dictionary<int, long> gaps)
        {
            var self = op;
            return [.. gaps.Where(g => CouldWrite(self, g.Key) && g.Value >= self.CallTime).Select(g => g.Key)];
        }

        // Settling one operation can account for a version that lets another be dropped: repeat until nothing moves.
        for (bool moved = true; moved;)
        {
            moved = false;
            var gaps = Gaps();
            var fillers = gaps.Keys.ToDictionary(v => v, _ => new List<Operation<RegisterInput, RegisterOutput>>());
            foreach (var op in pending.ToList())
            {
                if (seenAt.TryGetValue(op.Input.Value!, out int version))
                {
                    if (gaps.TryGetValue(version, out long before) && CouldWrite(op, version) && before >= op.CallTime)
                    {
                        // It wrote `version`: it took effect before the first answer to see that version or a later one.
                        RecordWriter(op, version, before);
                        moved = true;
                    }
                    continue;
                }
                var could = CouldFill(op, gaps);
                if (could.Count == 0)
                {
                    // Unseen, and no version up to the last one seen can be its: it took effect after all that
                    // was observed, or never (a cas could only write the version after the one it expected).
                    // Either way it changes nothing a check could see.
                    pending.Remove(op);
                    moved = true;
                }
                foreach (int v in could)
                {
                    fillers[v].Add(op);
                }
            }
            if (!moved)
            {
                // A version only one pending operation could have written was written by it.
                foreach (var (v, candidates) in fillers)
                {
                    if (candidates.Count == 1 && pending.Contains(candidates[0]))
                    {
                        RecordWriter(candidates[0], v, gaps[v]);
                        moved = true;
                    }
                }
            }
        }

        var result = settled.Select(o => new Settled(o, o.ReturnTime)).ToList();
        var finalGaps = Gaps();
        foreach (var op in pending)
        {
            var could = seenAt.ContainsKey(op.Input.Value!) ? [] : CouldFill(op, finalGaps);
            if (could.Count == 0)
            {
                result.Add(new Settled(op, op.ReturnTime)); // seen, but contradicting the answers: left whole to the search
                continue;
            }
            // It can only have written one of `could`, so it took effect after the version before the first of
            // them was written (after that writer's call), and matters only until the last of them was seen.
            long from = op.CallTime;
            if (could.Min() - 1 is var before and > 0 && writers.TryGetValue(before, out var previous))
            {
                from = Math.Max(from, previous.CallTime);
            }
            result.Add(new Settled(Operation<RegisterInput, RegisterOutput>.Pending(op.ClientId, op.Input, from), could.Max(v => finalGaps[v])));
        }
        return result;

        void RecordWriter(Operation<RegisterInput, RegisterOutput> op, int version, long before)
        {
            var done = new Operation<RegisterInput, RegisterOutput>(op.ClientId, op.Input, new RegisterOutput(true, null, version), op.CallTime, before);
            writers[version] = done;
            settled.Add(done);
            pending.Remove(op);
        }
    }

    private static bool CouldWrite(in Operation<RegisterInput, RegisterOutput> op, int version) =>
        op.Input.Kind == RegisterOpKind.Write || op.Input.ExpectedVersion == version - 1;

    /// <summary>The earliest return of a completed answer that saw <paramref name="version"/> or a later one.</summary>
    private static long? SawAtLeast(List<Operation<RegisterInput, RegisterOutput>> completed, int version)
    {
        long? earliest = null;
        foreach (var op in completed)
        {
            if (op.Output.Ok && op.Output.Version >= version && (earliest is null || op.ReturnTime < earliest))
            {
                earliest = op.ReturnTime;
            }
        }
        return earliest;
    }

    private static HistoryPartition<RegisterInput, RegisterOutput> Piece(string name, int index, RegisterState start, List<Operation<RegisterInput, RegisterOutput>> operations)
    {
        if (index == 0)
        {
            return new($"{name} (piece 1)", operations);
        }
        long at = operations[0].CallTime - 1;
        var restore = new Operation<RegisterInput, RegisterOutput>(-1, new RegisterInput(RegisterOpKind.Restore, operations[0].Input.Key, start.Value, start.Version),
            new RegisterOutput(true, start.Value, start.Version), at, at);
        return new($"{name} (piece {index + 1}, from \"{start.Value}\" v{start.Version})", [restore, .. operations]);
    }
}
