using System.Text;

namespace Colony.Testing.Linearizability;

/// <summary>
/// Wing and Gong's search for a linearization of one partition, with Lowe's memo of visited
/// configurations. Call and return events sit in a doubly linked list sorted by time. The search walks
/// it from the head: at a call it tries to have that operation take effect now (it "lifts" the call
/// and its return out of the list and restarts from the head); at a return whose operation has not
/// taken effect it is stuck, and backtracks by putting the last lifted operation back ("unlift") and
/// trying the next call after it. It succeeds when no return is left: only completed operations must
/// take effect.
/// </summary>
/// <remarks>
/// Pending operations are optional, which makes them expensive: each can be taken or left at every
/// level. Two things keep that in check. At each level the search tries the completed candidates
/// before the pending ones, so it first looks for a linearization that needs no pending effect; and
/// the memo prunes a configuration when one with the same completed set and state but fewer pending
/// operations taken was already entered (<see cref="ConfigurationCache{TState}"/>). The one case that
/// order cannot put first, a pending operation right after another whose effect it erases, is pruned
/// directly (see <see cref="Erases"/>).
/// </remarks>
internal sealed class LinearizationSearch<TState, TInput, TOutput>
{
    private const int NoNode = -1;

    private readonly Model<TState, TInput, TOutput> _model;

    // Completed operations first, then pending ones, each group in history order.
    private readonly Operation<TInput, TOutput>[] _operations;
    private readonly int _completedCount;

    // Node 0 is the head sentinel; the others are events in time order.
    private readonly int[] _next;
    private readonly int[] _prev;
    private readonly int[] _nodeOperation;
    private readonly bool[] _nodeIsReturn;
    private readonly int[] _callNode;
    private readonly int[] _returnNode;   // NoNode for a pending operation

    // Zobrist hashing of the completed set: the XOR of its members' keys, updated in O(1).
    private readonly ulong[] _keys;

    // The operations taken effect so far, in order; a longest such sequence seen (see Track).
    private readonly int[] _stack;
    private readonly int[] _best;
    private int _bestLength;
    private int _bestAgrees;

    public LinearizationSearch(Model<TState, TInput, TOutput> model, IReadOnlyList<Operation<TInput, TOutput>> partition)
    {
        _model = model;
        // Completed operations first, then pending ones; a pending read cannot change what anyone else
        // saw, so it is dropped rather than searched around.
        var operations = new List<Operation<TInput, TOutput>>(partition.Count);
        foreach (var operation in partition)
        {
            if (!operation.IsPending)
            {
                operations.Add(operation);
            }
        }
        _completedCount = operations.Count;
        foreach (var operation in partition)
        {
            if (operation.IsPending && !model.IsReadOnly(operation.Input))
            {
                operations.Add(operation);
            }
        }
        _operations = operations.ToArray();
        int n = _operations.Length;

        var events = new Event[n + _completedCount];
        for (int i = 0; i < n; i++)
        {
            events[i] = new Event(_operations[i].CallTime, i);
        }
        for (int i = 0; i < _completedCount; i++)
        {
            events[n + i] = new Event(_operations[i].ReturnTime, n + i);
        }
        Array.Sort(events);

        int nodes = events.Length + 1;
        _next = new int[nodes];
        _prev = new int[nodes];
        _nodeOperation = new int[nodes];
        _nodeIsReturn = new bool[nodes];
        _callNode = new int[n];
        _returnNode = new int[n];
        Array.Fill(_returnNode, NoNode);
        for (int node = 0; node < nodes; node++)
        {
            _next[node] = node + 1 < nodes ? node + 1 : NoNode;
            _prev[node] = node - 1;
            if (node == 0)
            {
                continue;
            }
            int order = events[node - 1].Order;
            bool isReturn = order >= n;
            int op = isReturn ? order - n : order;
            _nodeOperation[node] = op;
            _nodeIsReturn[node] = isReturn;
            if (isReturn)
            {
                _returnNode[op] = node;
            }
            else
            {
                _callNode[op] = node;
            }
        }

        _keys = new ulong[n];
        ulong seed = 0x243F6A8885A308D3UL;
        for (int i = 0; i < n; i++)
        {
            _keys[i] = SplitMix64(ref seed);
        }
        _stack = new int[n];
        _best = new int[n];
    }

    public long Steps { get; private set; }

    public int OperationCount => _operations.Length;

    /// <summary>Searches once. Afterwards the event list is whole again unless the result is Unknown.</summary>
    public LinearizabilityOutcome Run(long maxSteps, long maxMemoBytes, CancellationToken cancellation)
    {
        int n = _operations.Length;
        var completed = new ulong[(_completedCount + 63) / 64];
        var pending = new ulong[(n - _completedCount + 63) / 64];
        var cache = new ConfigurationCache<TState>(completed.Length, pending.Length, _model.StateComparer);
        // An entry: its two bit sets, its hash, its state reference and its bucket and chain slots.
        long maxEntries = Math.Max(1, maxMemoBytes / (((completed.Length + pending.Length) * sizeof(ulong)) + 32));
        var stackState = new TState[n];
        var stackPending = new bool[n];   // the phase in which each level chose its operation
        int depth = 0;
        ulong completedHash = 0;
        var state = _model.Init();
        int entry = _next[0];
        bool pendingPhase = false;   // false: trying completed candidates; true: pending ones

        while (true)
        {
            if (++Steps > maxSteps || cache.Count >= maxEntries || ((Steps & 0xFFF) == 0 && cancellation.IsCancellationRequested))
            {
                return LinearizabilityOutcome.Unknown;
            }
            if (entry == NoNode)
            {
                // No return left, so every completed operation has taken effect. (Only the first phase
                // can get here: the second rescans a list in which the first already met a return.)
                return LinearizabilityOutcome.Ok;
            }
            int op = _nodeOperation[entry];
            if (_nodeIsReturn[entry])
            {
                if (!pendingPhase)
                {
                    // The candidates of this level are the calls before this return; now the pending ones.
                    pendingPhase = true;
                    entry = _next[0];
                    continue;
                }
                // This operation returned before it took effect: undo the last choice.
                if (depth == 0)
                {
                    return LinearizabilityOutcome.Illegal;
                }
                depth--;
                op = _stack[depth];
                state = stackState[depth];
                stackState[depth] = default!;
                pendingPhase = stackPending[depth];
                _bestAgrees = Math.Min(_bestAgrees, depth);
                Toggle(op, completed, pending);
                if (op < _completedCount)
                {
                    completedHash ^= _keys[op];
                }
                Unlift(op);
                entry = _next[_callNode[op]];
                continue;
            }
            bool isPending = op >= _completedCount;
            if (isPending == pendingPhase && TryStep(state, op, out var next)
                && !(isPending && depth > 0 && stackPending[depth - 1] && Erases(stackState[depth - 1], op, next)))
            {
                Toggle(op, completed, pending);
                ulong hash = isPending ? completedHash : completedHash ^ _keys[op];
                if (cache.Add(completed, pending, hash, next))
                {
                    _stack[depth] = op;
                    stackState[depth] = state;
                    stackPending[depth] = pendingPhase;
                    Track(depth);
                    depth++;
                    state = next;
                    completedHash = hash;
                    Lift(op);
                    entry = _next[0];
                    pendingPhase = false;
                    continue;
                }
                Toggle(op, completed, pending);
            }
            entry = _next[entry];
        }
    }

    /// <summary>
    /// Explains an Illegal verdict: replays the longest prefix found, then lists what could come next.
    /// Call only after <see cref="Run"/> returned Illegal.
    /// </summary>
    public LinearizabilityResult<TInput, TOutput> Explain(string partition, long steps)
    {
        var prefix = new Operation<TInput, TOutput>[_bestLength];
        var state = _model.Init();
        for (int i = 0; i < _bestLength; i++)
        {
            int op = _best[i];
            prefix[i] = _operations[op];
            TryStep(state, op, out state);
            Lift(op);
        }

        var unplaced = new List<Operation<TInput, TOutput>>();
        var reasons = new List<string>();
        Operation<TInput, TOutput>? deadline = null;
        for (int node = _next[0]; node != NoNode; node = _next[node])
        {
            int op = _nodeOperation[node];
            if (_nodeIsReturn[node])
            {
                deadline = _operations[op];
                break;
            }
            unplaced.Add(_operations[op]);
            reasons.Add(TryStep(state, op, out _) ? "fits, but no linearization continues from it" : "contradicts the state");
        }
        for (int i = _bestLength - 1; i >= 0; i--)
        {
            Unlift(_best[i]);
        }

        var text = new StringBuilder();
        text.Append($"not linearizable: {partition} ({_operations.Length} operations; at most {_bestLength} could be linearized)\n");
        text.Append(_bestLength == 0 ? "no operation can be linearized first\n" : "longest linearizable prefix:\n");
        for (int i = 0; i < prefix.Length; i++)
        {
            text.Append($"  {i + 1}. {_model.Describe(prefix[i])}\n");
        }
        text.Append($"state after it: {_model.DescribeState(state)}\n");
        text.Append("none of these can come next:\n");
        for (int i = 0; i < unplaced.Count; i++)
        {
            text.Append($"  {_model.Describe(unplaced[i])}  ({reasons[i]})\n");
        }
        if (deadline is { } d)
        {
            text.Append($"yet {_model.Describe(d)} returned at {d.ReturnTime}, so one of them had to take effect by then");
        }
        return new LinearizabilityResult<TInput, TOutput>(
            LinearizabilityOutcome.Illegal, steps, partition, text.ToString(), prefix, unplaced, deadline);
    }

    private bool TryStep(TState state, int op, out TState next)
    {
        ref readonly var operation = ref _operations[op];
        return operation.IsPending
            ? _model.StepPending(state, operation.Input, out next)
            : _model.Step(state, operation.Input, operation.Output, out next);
    }

    /// <summary>
    /// True if taking pending <paramref name="op"/> straight from <paramref name="before"/> (the state
    /// before the previous choice, also pending) reaches <paramref name="after"/> too: the previous
    /// operation's effect is erased, so this configuration is dominated by the sibling that takes
    /// <paramref name="op"/> instead. Without this, k outstanding blind writes cost 2^k.
    /// </summary>
    private bool Erases(TState before, int op, TState after) =>
        TryStep(before, op, out var direct) && _model.StateComparer.Equals(direct, after);

    private void Toggle(int op, ulong[] completed, ulong[] pending)
    {
        if (op < _completedCount)
        {
            completed[op >> 6] ^= 1UL << op;
        }
        else
        {
            int bit = op - _completedCount;
            pending[bit >> 6] ^= 1UL << bit;
        }
    }

    /// <summary>
    /// Called after a push at <paramref name="depth"/>: keeps <see cref="_best"/> a longest stack seen.
    /// <see cref="_bestAgrees"/> counts the leading entries the stack shares with it, so extending the
    /// best copies only what differs rather than the whole stack each time.
    /// </summary>
    private void Track(int depth)
    {
        if (_bestAgrees == depth && depth < _bestLength && _best[depth] == _stack[depth])
        {
            _bestAgrees = depth + 1;
        }
        if (depth + 1 > _bestLength)
        {
            Array.Copy(_stack, _bestAgrees, _best, _bestAgrees, depth + 1 - _bestAgrees);
            _bestLength = depth + 1;
            _bestAgrees = depth + 1;
        }
    }

    private void Lift(int op)
    {
        Unlink(_callNode[op]);
        if (_returnNode[op] != NoNode)
        {
            Unlink(_returnNode[op]);
        }
    }

    // Nodes go back in the reverse order they left, so each one's own links are still right.
    private void Unlift(int op)
    {
        if (_returnNode[op] != NoNode)
        {
            Relink(_returnNode[op]);
        }
        Relink(_callNode[op]);
    }

    private void Unlink(int node)
    {
        int next = _next[node];
        _next[_prev[node]] = next;
        if (next != NoNode)
        {
            _prev[next] = _prev[node];
        }
    }

    private void Relink(int node)
    {
        int next = _next[node];
        _next[_prev[node]] = node;
        if (next != NoNode)
        {
            _prev[next] = node;
        }
    }

    /// <summary>
    /// A call (order = operation) or return (order = operation count + operation). Sorting by time and
    /// then order puts calls before returns at the same instant: touching intervals overlap, which never
    /// rejects a history that a finer clock would accept. Ties among calls keep the history's order.
    /// </summary>
    private readonly record struct Event(long Time, int Order) : IComparable<Event>
    {
        public int CompareTo(Event other)
        {
            int byTime = Time.CompareTo(other.Time);
            return byTime != 0 ? byTime : Order.CompareTo(other.Order);
        }
    }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
