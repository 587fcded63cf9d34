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
/// seen but that no completed write returned (a gap) was written by a pending one called before it was
/// seen: if only one could have, it did. A pending operation that could have written no seen version took
/// effect after all that was observed, or never, and changes nothing a check could see, except a
/// refused cas that expected the last version seen: until the last such refusal it may still matter.</item>
/// <item>An operation still of unknown outcome matters only while it could still write a version somebody
/// saw: from the call of the writer of the version before the first one it could write, to the first
/// answer that saw the last one it could write. Outside that window it is as if it never ran.</item>
/// <item>The history is then cut at quiescent points: instants when no completed operation and no pending
/// cas is in flight or in its window, and the newest version seen has a known writer. The state there is
/// known, that version and its value, so each piece is checked from it (a <see cref="RegisterOpKind.Restore"/>
/// opens the piece).</item>
/// <item>A pending plain write could fill any gap seen after its call, so while gaps keep coming its window
/// never closes, and no instant is quiescent. A cut can still be made at an instant that would be but for
/// such writes, by counting them. Let G be the gaps in the piece (above the version it started from, up to
/// the newest seen) and C its pending plain writes. If no pending cas in the piece could fill a gap in G
/// (see the next item), every linearization of the piece, or of the whole, fills G with |G| distinct members of C, and the other
/// |C| − |G| either never take effect or take effect after the cut or after the newest version, where
/// nobody saw their values: there only how many they are matters, not which. So the next piece opens with
/// that many spare writes (<see cref="RegisterOpKind.Spare"/>: pending, called as it opens, values nobody saw)
/// in place of them, and its spares count in C at its own cut. Whole linearizable, so are the pieces: cut the
/// whole's linearization at the instant; the free writes it applies after the newest version become spares
/// applied in the same places (those before the instant at the next piece's start). Pieces linearizable, so
/// is the whole: the earlier piece's linearization needs no write after its newest version (nothing in it
/// saw a later one, and a cut is not made where a refused cas expecting the newest version could need one),
/// so it ends in the state the next piece starts from, with |C| − |G| members of C unused, which can do
/// what the spares did. The piece is not cut with |C| &lt; |G|: the search rejects it. After the cut a free
/// write can only fill a later gap or follow the last version seen, so no more spares are carried than later
/// gaps, unless a refused cas expected the last version seen (or a later one).</item>
/// <item>A pending cas in the piece that could fill a gap in G (it can fill only one) would leave one more
/// member of C free, so the count depends on how many gaps such cas wrote. The next piece may use as many
/// spares as the most any linearization of the piece frees: that most is found by checking the piece with
/// those cas counted (<see cref="RegisterOpKind.CountedCas"/>) and a closing <see cref="RegisterOpKind.Tally"/>
/// requiring at least m of them, m going down, and the piece is then checked with that tally. Whole
/// linearizable: its linearization frees at most the most, and more spares never hurt. Pieces linearizable:
/// the piece's linearization frees that many. If such a check is not decided within a small budget, the
/// piece is not cut there.</item>
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
        var ordered = Settle(history, out int[] gaps, out bool refusedLast).OrderBy(s => s.Operation.CallTime).ThenBy(s => s.Operation.ReturnTime).ToList();
        var pieces = new List<HistoryPartition<RegisterInput, RegisterOutput>>();
        var piece = new Piece(0, RegisterModel.Instance.Init(), 0, new Gaps(gaps, refusedLast));
        var state = piece.Start;
        int newestSeen = 0;
        foreach (var entry in ordered)
        {
            var op = entry.Operation;
            if (piece.Count > 0 && state.Version == newestSeen && piece.CutBefore(op.CallTime, newestSeen) is int spares)
            {
                long until = piece.PlainWritesUntil;
                pieces.Add(piece.ToPartition(name));
                piece = new Piece(pieces.Count, state, spares, piece.Gaps);
                for (int i = 0; i < spares; i++)
                {
                    piece.Add(new Settled(Spare(op.Input.Key, pieces.Count, i, op.CallTime - 1), until));
                }
            }
            piece.Add(entry);
            if (!op.IsPending && op.Output.Ok)
            {
                newestSeen = Math.Max(newestSeen, op.Output.Version);
                if (op.Input.Kind != RegisterOpKind.Read && op.Output.Version > state.Version)
                {
                    state = new RegisterState(op.Input.Value!, op.Output.Version);
                }
            }
        }
        if (piece.Count > 0 || pieces.Count == 0)
        {
            pieces.Add(piece.ToPartition(name));
        }
        if (pieces.Count == 1)
        {
            return [new HistoryPartition<RegisterInput, RegisterOutput>(name, pieces[0].Operations)];
        }
        return pieces;
    }

    /// <summary>Settles what the history proves of operations of unknown outcome (see the type's summary).</summary>
    public static List<Settled> Settle(IReadOnlyList<Operation<RegisterInput, RegisterOutput>> history) => Settle(history, out _, out _);

    /// <param name="unwritten">The versions up to the last one seen that no completed or settled operation wrote, ascending.</param>
    /// <param name="refusedLast">Whether a cas that expected the last version seen, or a later one, was refused.</param>
    private static List<Settled> Settle(IReadOnlyList<Operation<RegisterInput, RegisterOutput>> history, out int[] unwritten, out bool refusedLast)
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
        // A refused cas that expected the last version seen (or a later one) may have been refused because unseen
        // writes came after that version: until the last such refusal, any pending write may have mattered.
        long tail = history.Where(o => !o.IsPending && !o.Output.Ok && o.Input.Kind == RegisterOpKind.CompareAndSet && o.Input.ExpectedVersion >= lastSeen)
            .Select(o => o.ReturnTime).DefaultIfEmpty(long.MinValue).Max();
        refusedLast = tail != long.MinValue;
        bool MayBumpLast(in Operation<RegisterInput, RegisterOutput> op) =>
            tail >= op.CallTime && (op.Input.Kind == RegisterOpKind.Write || op.Input.ExpectedVersion >= lastSeen);
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
                if (could.Count == 0 && !MayBumpLast(op))
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
            if (seenAt.ContainsKey(op.Input.Value!))
            {
                result.Add(new Settled(op, op.ReturnTime)); // seen, but contradicting the answers: left whole to the search
                continue;
            }
            // It can only have written one of `could`, or the version after the last one seen, so it took effect
            // after the version before the first of them was written (after that writer's call), and matters only
            // until the last of them was seen or, for the version after the last, until the last refusal it may explain.
            var could = CouldFill(op, finalGaps);
            bool bumps = MayBumpLast(op);
            long from = op.CallTime;
            if ((could.Count > 0 ? could.Min() : lastSeen + 1) - 1 is var before and > 0 && writers.TryGetValue(before, out var previous))
            {
                from = Math.Max(from, previous.CallTime);
            }
            long until = Math.Max(could.Count > 0 ? could.Max(v => finalGaps[v]) : long.MinValue, bumps ? tail : long.MinValue);
            result.Add(new Settled(Operation<RegisterInput, RegisterOutput>.Pending(op.ClientId, op.Input, from), until));
        }
        unwritten = [.. finalGaps.Keys.Order()];
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

    /// <summary>
    /// A pending plain write standing for one carried over a cut: called as the piece opens, it never returns,
    /// and its value is one nobody saw. Only how many there are matters (see the type's summary).
    /// </summary>
    private static Operation<RegisterInput, RegisterOutput> Spare(string key, int piece, int index, long at) =>
        Operation<RegisterInput, RegisterOutput>.Pending(-1, new RegisterInput(RegisterOpKind.Spare, key, $"unseen write carried into piece {piece + 1}", index), at);

    /// <summary>The versions no known operation wrote (ascending), and whether a refusal could see past the last version seen.</summary>
    private sealed record Gaps(int[] Versions, bool RefusedLast);

    /// <summary>The register model without the cuts, to check one piece as it is.</summary>
    private sealed class PieceModel : Model<RegisterState, RegisterInput, RegisterOutput>
    {
        public static readonly PieceModel Instance = new();

        public override RegisterState Init() => RegisterModel.Instance.Init();

        public override bool Step(RegisterState state, RegisterInput input, RegisterOutput output, out RegisterState next) =>
            RegisterModel.Instance.Step(state, input, output, out next);

        public override bool StepPending(RegisterState state, RegisterInput input, out RegisterState next) =>
            RegisterModel.Instance.StepPending(state, input, out next);

        public override bool IsReadOnly(RegisterInput input) => RegisterModel.Instance.IsReadOnly(input);
    }

    /// <summary>The piece being gathered, with the running figures that decide whether it can end before the next operation.</summary>
    private sealed class Piece(int index, RegisterState start, int spares, Gaps gaps)
    {
        // How many gaps the piece's pending cas wrote is found by checking the piece; a few tries, cheaply, at most.
        private const int MaxContestChecks = 16;
        private static readonly CheckBudget ContestBudget = new() { MaxStepsPerPartition = 200_000 };

        private readonly List<Operation<RegisterInput, RegisterOutput>> _operations = [];
        private readonly HashSet<int> _refusedExpecting = [];   // the versions refused cas in the piece expected
        private readonly List<int> _casFillers = [];            // pending cas in the piece that could fill a gap above the start
        private long _reach = long.MinValue;                     // the last instant a completed or bounded pending operation matters
        private long _firstPlainEnd = long.MaxValue;             // the earliest end of a pending plain write's window
        private long _lastPlainEnd = long.MinValue;              // the latest one
        private int _plainWrites;                                // pending plain writes, spares included
        private int _pending;
        private int _completed;
        private int _casGap = int.MaxValue;                      // the lowest gap above the start a pending cas could fill
        private int _contestChecks;
        private int _casWrites;                                  // as the piece was cut: how many gaps its pending cas wrote at most
        private long _cutAt;

        public RegisterState Start => start;

        public Gaps Gaps => gaps;

        public int Count => _operations.Count;

        /// <summary>The end of the latest window of a pending plain write: where spares carried from here matter until.</summary>
        public long PlainWritesUntil => _lastPlainEnd;

        public void Add(Settled entry)
        {
            var (op, until) = entry;
            _operations.Add(op);
            if (!op.IsPending)
            {
                _completed++;
                _reach = Math.Max(_reach, until);
                if (!op.Output.Ok && op.Input.Kind == RegisterOpKind.CompareAndSet)
                {
                    _refusedExpecting.Add(op.Input.ExpectedVersion);
                }
                return;
            }
            _pending++;
            if (op.Input.Kind is (RegisterOpKind.Write or RegisterOpKind.Spare) && until != Operation<RegisterInput, RegisterOutput>.PendingReturnTime)
            {
                _plainWrites++;
                _firstPlainEnd = Math.Min(_firstPlainEnd, until);
                _lastPlainEnd = Math.Max(_lastPlainEnd, until);
                return;
            }
            // A cas (or a write the answers contradict, which matters to the end) is bounded by its window.
            _reach = Math.Max(_reach, until);
            int fills = op.Input.ExpectedVersion + 1;
            if (op.Input.Kind == RegisterOpKind.CompareAndSet && fills > start.Version && Array.BinarySearch(gaps.Versions, fills) >= 0)
            {
                _casGap = Math.Min(_casGap, fills);
                _casFillers.Add(_operations.Count - 1);
            }
        }

        /// <summary>
        /// Whether the piece can end before an operation called at <paramref name="time"/>, given that the newest
        /// version seen so far has a known writer; if so, how many spare writes the next piece must open with.
        /// </summary>
        public int? CutBefore(long time, int newestSeen)
        {
            if (_reach >= time)
            {
                return null;
            }
            // A refusal of the newest version may need a pending write to have come after it within this piece:
            // the next piece could not know, so do not cut.
            if (_pending > 0 && _refusedExpecting.Contains(newestSeen))
            {
                return null;
            }
            if (_plainWrites == 0 || _lastPlainEnd < time)
            {
                return 0;
            }
            // Each pending plain write's window runs to the last gap it could fill, so one that could fill a gap after
            // this instant could fill every later one too: either all of them reach past it or none does.
            // A piece of nothing but pending writes would only trade them for spares.
            if (_completed == 0 || _firstPlainEnd < time)
            {
                return null;
            }
            int free = _plainWrites - (Below(newestSeen + 1) - Below(start.Version + 1));
            int casWrites = 0;
            if (_casGap <= newestSeen && !Contest(time - 1, out casWrites))
            {
                return null;
            }
            free += casWrites;
            if (free < 0)
            {
                return null; // fewer writes than gaps: left whole for the search to reject
            }
            _casWrites = casWrites;
            _cutAt = time - 1;
            // A free write after the cut can only fill a later gap, or follow the last version seen: unless a refusal
            // could see that, more spares than later gaps would never be used.
            return gaps.RefusedLast ? free : Math.Min(free, gaps.Versions.Length - Below(newestSeen + 1));
        }

        /// <summary>
        /// Pending cas in the piece could have written some of its gaps, each in place of a pending plain write,
        /// which would leave one more of those free: the count depends on how many did. Every linearization of the
        /// piece has some number of them; the most any has is what the next piece may use, so that is found by
        /// checking the piece, with the cas counted, for at least m of them, m going down. Undecided, not cut.
        /// </summary>
        private bool Contest(long at, out int casWrites)
        {
            casWrites = 0;
            int contested = _casFillers.Select(i => _operations[i].Input.ExpectedVersion).Distinct().Count();
            for (int m = contested; m > 0; m--)
            {
                if (_contestChecks++ >= MaxContestChecks)
                {
                    return false;
                }
                var outcome = LinearizabilityChecker.Check(PieceModel.Instance, Operations(m, at), ContestBudget).Outcome;
                if (outcome != LinearizabilityOutcome.Illegal)
                {
                    casWrites = m;
                    return outcome == LinearizabilityOutcome.Ok;
                }
            }
            return true;
        }

        /// <summary>
        /// The piece's operations, opened by a restore after the first; with at least <paramref name="casWrites"/>
        /// of its pending cas required to have written a gap, by a tally at <paramref name="at"/>.
        /// </summary>
        private List<Operation<RegisterInput, RegisterOutput>> Operations(int casWrites, long at)
        {
            var operations = new List<Operation<RegisterInput, RegisterOutput>>(_operations.Count + 2);
            if (index > 0)
            {
                var first = _operations[0];
                long restoreAt = first.CallTime - 1;
                operations.Add(new Operation<RegisterInput, RegisterOutput>(-1, new RegisterInput(RegisterOpKind.Restore, first.Input.Key, start.Value, start.Version),
                    new RegisterOutput(true, start.Value, start.Version), restoreAt, restoreAt));
            }
            operations.AddRange(_operations);
            if (casWrites > 0)
            {
                foreach (int i in _casFillers)
                {
                    var cas = _operations[i];
                    operations[i + (index > 0 ? 1 : 0)] = Operation<RegisterInput, RegisterOutput>.Pending(cas.ClientId, cas.Input with { Kind = RegisterOpKind.CountedCas }, cas.CallTime);
                }
                var tally = new RegisterInput(RegisterOpKind.Tally, _operations[0].Input.Key, null, casWrites);
                operations.Add(new Operation<RegisterInput, RegisterOutput>(-1, tally, new RegisterOutput(true, null, 0), at, at));
            }
            return operations;
        }

        public HistoryPartition<RegisterInput, RegisterOutput> ToPartition(string name)
        {
            var operations = Operations(_casWrites, _cutAt);
            if (index == 0)
            {
                return new($"{name} (piece 1)", operations);
            }
            string carried = spares > 0 ? $", {spares} spare writes" : "";
            return new($"{name} (piece {index + 1}, from \"{start.Value}\" v{start.Version}{carried})", operations);
        }

        /// <summary>How many gaps are below <paramref name="version"/>.</summary>
        private int Below(int version)
        {
            int i = Array.BinarySearch(gaps.Versions, version);
            return i >= 0 ? i : ~i;
        }
    }
}
