using Colony.Consensus;
using Colony.Core;
using Colony.Simulation.Checkers;
using Colony.Simulation.Cluster;
using Colony.Simulation.KeyValue;
using Colony.Simulation.Scheduling;
using Colony.Simulation.Tracing;

namespace Colony.Simulation.Workload;

/// <summary>
/// A client issuing one operation at a time: puts of unique values, deletes and linearizable reads on a few
/// keys. It follows leader hints, retries requests that were refused or dropped, and gives up on an
/// operation after a timeout. A write that may have been applied is then left pending in the
/// history; anything else that did not return is left out.
/// </summary>
internal sealed class Client
{
    private readonly int _id;
    private readonly EventQueue _queue;
    private readonly IReadOnlyList<SimNode> _nodes;
    private readonly Func<long> _networkDelay;
    private readonly History _history;
    private readonly IRandomSource _random;
    private readonly ClientScript _script;
    private readonly Func<ulong> _nextRequestId;
    private readonly Trace _trace;
    private Operation? _current;
    private NodeId _leaderHint;
    private int _sequence;
    private bool _stopped;

    public Client(
        int id, EventQueue queue, IReadOnlyList<SimNode> nodes, Func<long> networkDelay, History history,
        IRandomSource random, ClientScript script, Func<ulong> nextRequestId, Trace trace)
    {
        _trace = trace;
        _id = id;
        _queue = queue;
        _nodes = nodes;
        _networkDelay = networkDelay;
        _history = history;
        _random = random;
        _script = script;
        _nextRequestId = nextRequestId;
    }

    public void Start() => _queue.After(_random.Next(1 + (int)_script.MaxThinkMicros), NextOperation);

    /// <summary>Issues no new operation; the current one is left as it is (the history closes it).</summary>
    public void Stop() => _stopped = true;

    private void NextOperation()
    {
        if (_stopped)
        {
            return;
        }
        var kind = _script.NextKind(_random);
        string key = _script.PickKey(_random);
        string? value = kind == OperationKind.Write ? $"c{_id}.{++_sequence}{_script.Padding}" : null;
        var operation = _history.Begin(_id, kind, key, value, _queue.Now);
        // Only puts: their unique values tell the forwarding node which applied entry is this write.
        operation.Forwarded = kind == OperationKind.Write && _script.ForwardFraction > 0 && _random.NextDouble() < _script.ForwardFraction;
        _current = operation;
        _queue.After(_script.TimeoutMicros, () => TimedOut(operation));
        Send(operation);
    }

    private void Send(Operation operation)
    {
        // A forwarded write goes to whichever node the client happens to be connected to.
        var node = operation.Forwarded ? _nodes[_random.Next(_nodes.Count)] : PickNode();
        _queue.After(_networkDelay(), () => Arrive(operation, node));
    }

    private void Retry(Operation operation, long backoff) =>
        _queue.After(backoff, () =>
        {
            if (_current == operation)
            {
                Send(operation);
            }
        });

    private void Arrive(Operation operation, SimNode node)
    {
        if (_current != operation)
        {
            return;
        }
        if (!node.IsUp)
        {
            _leaderHint = NodeId.None;
            Retry(operation, _networkDelay());
            return;
        }
        if (operation.Kind == OperationKind.Read)
        {
            node.Read(_nextRequestId(), operation.Key, outcome => Respond(() => OnRead(operation, outcome)));
            return;
        }
        var command = operation.Kind == OperationKind.Delete
            ? KeyValueCommands.EncodeDelete(operation.Key)
            : KeyValueCommands.EncodePut(operation.Key, operation.Value!);
        var result = operation.Forwarded
            ? node.ProposeOrForward(command, outcome => Respond(() => OnWritten(operation, outcome)), outcome => Respond(() => OnForwarded(operation, outcome)))
            : node.Propose(command, outcome => Respond(() => OnWritten(operation, outcome)));
        switch (result.Status)
        {
            case ProposeStatus.Forwarded:
                break;
            case ProposeStatus.Accepted:
                operation.Index = result.Index;
                operation.Term = result.Term;
                operation.Content = Fingerprint.OfContent(new Entry(result.Term, result.Index, EntryType.Normal, command));
                _leaderHint = node.Id;
                break;
            case ProposeStatus.NotLeader:
                _leaderHint = result.Leader;
                Retry(operation, _networkDelay() + (result.Leader.IsNone ? _script.BackoffMicros : 0));
                break;
            default:
                Retry(operation, _networkDelay() + _script.BackoffMicros);
                break;
        }
    }

    /// <summary>A node's answer travels back to the client.</summary>
    private void Respond(Action handle) => _queue.After(_networkDelay(), handle);

    private void OnWritten(Operation operation, WriteOutcome outcome)
    {
        if (_current != operation)
        {
            return;
        }
        switch (outcome)
        {
            case WriteOutcome.Committed:
                Finish(operation, OperationStatus.Ok);
                break;
            case WriteOutcome.Superseded:
                Finish(operation, OperationStatus.Failed);
                break;
            default:
                Finish(operation, OperationStatus.Pending);
                break;
        }
    }

    private void OnForwarded(Operation operation, ForwardOutcome outcome)
    {
        if (_current != operation)
        {
            return;
        }
        if (!outcome.Applied)
        {
            Finish(operation, OperationStatus.Pending);
            return;
        }
        operation.Index = outcome.Index;
        operation.Term = outcome.Term;
        Finish(operation, OperationStatus.Ok);
    }

    private void OnRead(Operation operation, ReadOutcome outcome)
    {
        if (_current != operation)
        {
            return;
        }
        if (!outcome.Answered)
        {
            _leaderHint = NodeId.None;
            Retry(operation, _script.BackoffMicros);
            return;
        }
        operation.Value = outcome.Value;
        Finish(operation, OperationStatus.Ok);
    }

    private void TimedOut(Operation operation)
    {
        if (_current != operation)
        {
            return;
        }
        _leaderHint = NodeId.None;
        Finish(operation, operation.MayHaveEffect ? OperationStatus.Pending : OperationStatus.Failed);
    }

    private void Finish(Operation operation, OperationStatus status)
    {
        operation.Status = status;
        operation.Return = _queue.Now;
        _current = null;
        if (_trace.Enabled)
        {
            _trace.Comment($"client {operation}");
        }
        _script.OnFinished(operation);
        _queue.After(_random.Next(1 + (int)_script.MaxThinkMicros), NextOperation);
    }

    private SimNode PickNode()
    {
        if (!_leaderHint.IsNone && _random.Next(10) < 9)
        {
            foreach (var node in _nodes)
            {
                if (node.Id == _leaderHint)
                {
                    return node;
                }
            }
        }
        return _nodes[_random.Next(_nodes.Count)];
    }
}

/// <summary>What a client does: which operations, on which keys, with which timing.</summary>
internal sealed class ClientScript
{
    public required IReadOnlyList<string> Keys { get; init; }

    public required double ReadFraction { get; init; }

    public required long MaxThinkMicros { get; init; }

    public required long TimeoutMicros { get; init; }

    public long BackoffMicros { get; init; } = Time.Ms(20);

    public string Padding { get; init; } = "";

    /// <summary>The share of puts sent to a random node, which forwards them to its leader if it does not lead.</summary>
    public double ForwardFraction { get; init; }

    /// <summary>The share of writes that delete their key instead of putting a value.</summary>
    public double DeleteFraction { get; init; }

    /// <summary>If set, writes and reads alternate, starting with a write (the liveness probe).</summary>
    public bool Alternate { get; init; }

    /// <summary>Called as each operation finishes.</summary>
    public Action<Operation> OnFinished { get; init; } = _ => { };

    private bool _lastWasWrite;

    public OperationKind NextKind(IRandomSource random)
    {
        if (Alternate)
        {
            _lastWasWrite = !_lastWasWrite;
            return _lastWasWrite ? OperationKind.Write : OperationKind.Read;
        }
        if (random.NextDouble() < ReadFraction)
        {
            return OperationKind.Read;
        }
        return random.NextDouble() < DeleteFraction ? OperationKind.Delete : OperationKind.Write;
    }

    public string PickKey(IRandomSource random) => Keys[random.Next(Keys.Count)];
}
