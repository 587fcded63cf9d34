using Colony.Consensus;
using Colony.Consensus.StateMachine;
using Colony.Coordination.Commands;
using Colony.Core;
using Colony.Simulation.Cluster;
using Colony.Simulation.Scheduling;
using Colony.Simulation.Tracing;

namespace Colony.Simulation.Coordination;

/// <summary>What became of one coordination command, as its client learned.</summary>
internal enum CoordinationOutcome
{
    Committed,

    /// <summary>Accepted, then the client never learned whether it was applied.</summary>
    Unknown,

    /// <summary>Replaced in the log by another leader's entry, or never accepted before the timeout.</summary>
    Failed,
}

/// <summary>How the coordination clients' commands ended, over a run.</summary>
internal sealed class CoordinationTally
{
    public int Committed { get; private set; }

    public int Unknown { get; private set; }

    public int Failed { get; private set; }

    public void Count(CoordinationOutcome outcome)
    {
        switch (outcome)
        {
            case CoordinationOutcome.Committed:
                Committed++;
                break;
            case CoordinationOutcome.Unknown:
                Unknown++;
                break;
            default:
                Failed++;
                break;
        }
    }
}

/// <summary>
/// ZooKeeper clients as the log sees them: a few sessions sharing one connection's pace, proposing one
/// coordination command at a time (see <see cref="CoordinationOpGenerator"/>) in the name of a session
/// picked at random. A session is opened before its first command, closed now and then, and replaced
/// by a new one. It goes through the same proposal path as the key-value <see cref="Workload.Client"/>: it follows
/// leader hints, re-proposes whatever was refused or never reached a node, and gives up after a
/// timeout. The proposing node stamps its time (the simulated clock). The origin stamped on a
/// session's commands is the node its client is connected to, which in production forwards them:
/// a session lives on one node (drawn when it opens), moves to another now and then (MoveSession,
/// as a client resuming it there), and some of its writes come from the node it left (a write still
/// in flight on an old connection), which apply fences. The cluster's own operations carry the
/// proposing node's id. No outcome is checked here: the results are the tree's, and the checkers
/// compare the trees.
/// </summary>
internal sealed class CoordinationClient
{
    private readonly int _id;
    private readonly EventQueue _queue;
    private readonly IReadOnlyList<SimNode> _nodes;
    private readonly Func<long> _networkDelay;
    private readonly IRandomSource _random;
    private readonly CoordinationOpGenerator _generator;
    private readonly long _maxThinkMicros;
    private readonly long _timeoutMicros;
    private readonly long _backoffMicros = Time.Ms(20);
    private readonly CoordinationTally _tally;
    private readonly Trace _trace;
    private Request? _current;
    private NodeId _leaderHint;
    private readonly long[] _sessions;
    private readonly byte[][] _passwords;
    private readonly ulong[] _homes;
    private readonly ulong[] _leftHomes;
    private int _cxid;
    private bool _stopped;

    public CoordinationClient(
        int id, int sessions, EventQueue queue, IReadOnlyList<SimNode> nodes, Func<long> networkDelay, IRandomSource random,
        long maxThinkMicros, long timeoutMicros, CoordinationTally tally, Trace trace)
    {
        _sessions = new long[sessions];
        _passwords = new byte[sessions][];
        _homes = new ulong[sessions];
        _leftHomes = new ulong[sessions];
        _id = id;
        _queue = queue;
        _nodes = nodes;
        _networkDelay = networkDelay;
        _random = random;
        _generator = new CoordinationOpGenerator(random);
        _maxThinkMicros = maxThinkMicros;
        _timeoutMicros = timeoutMicros;
        _tally = tally;
        _trace = trace;
    }

    public void Start() => _queue.After(_random.Next(1 + (int)_maxThinkMicros), NextOperation);

    public void Stop() => _stopped = true;

    private void NextOperation()
    {
        if (_stopped)
        {
            return;
        }
        Op op;
        int slot = _random.Next(_sessions.Length);
        long session = _sessions[slot];
        if (session == 0)
        {
            var create = _generator.NewSession();
            (op, session) = (create, create.SessionId);
            _sessions[slot] = session;
            _passwords[slot] = create.Password;
            (_homes[slot], _leftHomes[slot]) = (AnyNode(), 0);
        }
        else
        {
            op = _generator.Next(session, _passwords[slot], ViewNode(), CoordinationClock.ToMs(_queue.Now));
            if (op is Op.CloseSession)
            {
                _sessions[slot] = 0;
            }
        }
        // The leader's cleanups and session changes carry no client request number, as ZooKeeper's don't.
        bool fromCluster = op is Op.DeleteContainer or Op.DeleteExpiredTtl;
        var request = new Request(fromCluster ? 0 : session, fromCluster ? 0 : ++_cxid, op, fromCluster ? 0 : Origin(slot, op));
        _current = request;
        _queue.After(_timeoutMicros, () => TimedOut(request));
        Send(request);
    }

    /// <summary>
    /// The node a session's command comes from: the one its client is connected to; for a move, the
    /// one it reconnects to (unless the password is wrong, which leaves it where it was). The first
    /// command after a move (touches aside) comes, half the time, from the node the client left: a
    /// request that was still in flight on its old connection.
    /// </summary>
    private ulong Origin(int slot, Op op)
    {
        if (op is Op.MoveSession move)
        {
            ulong target = AnyNode();
            if (move.Password.AsSpan().SequenceEqual(_passwords[slot]) && target != _homes[slot])
            {
                (_leftHomes[slot], _homes[slot]) = (_homes[slot], target);
            }
            return target;
        }
        if (_leftHomes[slot] == 0 || op is Op.TouchSessions)
        {
            return _homes[slot];
        }
        ulong left = _leftHomes[slot];
        _leftHomes[slot] = 0;
        return _random.Next(2) == 0 ? left : _homes[slot];
    }

    private ulong AnyNode() => _nodes[_random.Next(_nodes.Count)].Id.Value;

    /// <summary>The node whose tree the generator peeks at to pick existing paths and versions: the hinted leader if up.</summary>
    private SimNode? ViewNode()
    {
        var up = _nodes.Where(node => node.IsUp).ToList();
        return up.FirstOrDefault(node => node.Id == _leaderHint) ?? (up.Count == 0 ? null : up[_random.Next(up.Count)]);
    }

    private void Send(Request request)
    {
        var node = PickNode();
        _queue.After(_networkDelay(), () => Arrive(request, node));
    }

    private void Retry(Request request, long backoff) =>
        _queue.After(backoff, () =>
        {
            if (_current == request)
            {
                Send(request);
            }
        });

    private void Arrive(Request request, SimNode node)
    {
        if (_current != request)
        {
            return;
        }
        if (!node.IsUp)
        {
            _leaderHint = NodeId.None;
            Retry(request, _networkDelay());
            return;
        }
        // Stamped with the proposing node's clock, as production does, and with the session's node
        // as origin, which in production is the node that forwarded it.
        var command = new CoordinationCommand(request.Origin == 0 ? node.Id.Value : request.Origin, request.Session, request.Cxid,
            CoordinationClock.ToMs(_queue.Now), [], request.Op);
        var batch = CommandBatch.Encode(ModuleId.Coordination, command.Encode());
        var result = node.Propose(batch, outcome => _queue.After(_networkDelay(), () => OnWritten(request, outcome)));
        switch (result.Status)
        {
            case ProposeStatus.Accepted:
                request.Index = result.Index;
                _leaderHint = node.Id;
                break;
            case ProposeStatus.NotLeader:
                _leaderHint = result.Leader;
                Retry(request, _networkDelay() + (result.Leader.IsNone ? _backoffMicros : 0));
                break;
            default:
                Retry(request, _networkDelay() + _backoffMicros);
                break;
        }
    }

    private void OnWritten(Request request, WriteOutcome outcome) =>
        Finish(request, outcome switch
        {
            WriteOutcome.Committed => CoordinationOutcome.Committed,
            WriteOutcome.Superseded => CoordinationOutcome.Failed,
            _ => CoordinationOutcome.Unknown,
        });

    private void TimedOut(Request request)
    {
        if (_current == request)
        {
            _leaderHint = NodeId.None;
            Finish(request, request.Index == 0 ? CoordinationOutcome.Failed : CoordinationOutcome.Unknown);
        }
    }

    private void Finish(Request request, CoordinationOutcome outcome)
    {
        if (_current != request)
        {
            return;
        }
        _current = null;
        _tally.Count(outcome);
        if (_trace.Enabled)
        {
            _trace.Comment($"zk client {_id} session {request.Session:x} cxid {request.Cxid} {request.Op.Kind} @{request.Index}: {outcome}");
        }
        _queue.After(_random.Next(1 + (int)_maxThinkMicros), NextOperation);
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

    private sealed class Request(long session, int cxid, Op op, ulong origin)
    {
        public long Session { get; } = session;

        /// <summary>The node the command is stamped as coming from; 0 for the node that proposes it.</summary>
        public ulong Origin { get; } = origin;

        public int Cxid { get; } = cxid;

        public Op Op { get; } = op;

        /// <summary>The log index it was accepted at; 0 until then.</summary>
        public ulong Index { get; set; }
    }
}
