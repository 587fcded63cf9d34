using Colony.Consensus;
using Colony.Coordination.Tree;
using Colony.Core;
using Colony.Simulation.Checkers;
using Colony.Simulation.Coordination;
using Colony.Simulation.Network;
using Colony.Simulation.Scheduling;
using Colony.Simulation.Storage;
using Colony.Simulation.Tracing;

namespace Colony.Simulation.Cluster;

/// <summary>
/// One simulated machine running a production <see cref="RaftReplica"/>: its own ticking clock
/// (possibly fast or slow), a disk whose flushes take time, and a state machine with the key-value and
/// coordination modules. It also
/// serves the clients' writes and reads. A crash drops the process and its unsynced writes; the
/// disk survives for the restart.
/// </summary>
internal sealed class SimNode : IReplicaListener, IMessageTransport
{
    private readonly EventQueue _queue;
    private readonly SimNetwork _network;
    private readonly Trace _trace;
    private readonly INodeObserver _observer;
    private readonly IRandomSource _random;
    private readonly SwarmOptions _options;
    private readonly RaftOptions _raftOptions;
    private readonly ReplicaOptions _replicaOptions;
    private readonly long _tickMicros;
    // Sorted, so callbacks fire in index and request order whatever the runtime's hashing does.
    private readonly SortedDictionary<ulong, List<PendingWrite>> _writes = [];
    private readonly SortedDictionary<ulong, PendingRead> _reads = [];
    private readonly List<(ulong Index, PendingRead Read)> _readsAwaitingApply = [];
    // Writes this node forwarded to its leader, by content: answered when the node applies them.
    private readonly Dictionary<ulong, Action<ForwardOutcome>> _forwards = [];
    private ObservedLogStore? _store;
    private NodeStateMachine? _stateMachine;

    public SimNode(
        NodeId id, ISimDisk disk, Membership initialMembership, SwarmOptions options, double clockRate,
        EventQueue queue, SimNetwork network, Trace trace, INodeObserver observer, IRandomSource random)
    {
        Id = id;
        Disk = disk;
        _options = options;
        _queue = queue;
        _network = network;
        _trace = trace;
        _observer = observer;
        _random = random;
        _tickMicros = Math.Max(1, (long)(options.TickMicros * clockRate));
        _raftOptions = new RaftOptions
        {
            Id = id,
            ElectionTicks = options.ElectionTicks,
            HeartbeatTicks = options.HeartbeatTicks,
            PreVote = options.PreVote,
            CheckQuorum = options.CheckQuorum,
            ReadMode = options.ReadMode,
            LeaseClockDrift = options.LeaseClockDrift,
            SnapshotChunkBytes = options.SnapshotChunkBytes,
            RetainedEntriesAfterCompaction = options.RetainedEntriesAfterCompaction,
            MaxAppendBytes = options.TrickleAppends ? 1 : options.MaxAppendBytes,
            MaxInflightAppends = options.TrickleAppends ? 4 : options.MaxInflightAppends,
            MaxUncommittedBytes = options.MaxUncommittedBytes,
            MaxApplyBytes = options.MaxApplyBytes,
            InitialMembership = initialMembership,
            Bugs = options.RaftBugs,
        };
        _replicaOptions = new ReplicaOptions
        {
            SnapshotEveryEntries = options.SnapshotEveryEntries,
            Bugs = options.ReplicaBugs,
        };
    }

    public NodeId Id { get; }

    public ISimDisk Disk { get; }

    /// <summary>Bumped by every crash and restart: events scheduled for an earlier incarnation are void.</summary>
    public int Incarnation { get; private set; }

    public RaftReplica? Replica { get; private set; }

    /// <summary>The Raft core, or null while the node is down.</summary>
    public RaftNode? Raft => Replica?.Node;

    public bool IsUp => Replica is not null;

    /// <summary>Test-only server bug: answer reads from local state without confirming a read index.</summary>
    public bool LocalReads { get; init; }

    /// <summary>Test-only bug: the node's coordination tree stamps its own clock on what it applies.</summary>
    public bool DivergentTree { get; init; }

    /// <summary>While true, a flush occasionally stalls for far longer than usual (a fault; healing turns it off).</summary>
    public bool DiskStalls { get; set; } = true;

    /// <summary>Times this node, as a follower, committed from a leader's durable notice (across restarts).</summary>
    public int DurableCommits { get; private set; }

    /// <summary>The last index the state machine applied (or restored from a snapshot).</summary>
    public ulong Applied { get; private set; }

    public IReadOnlyList<KeyValuePair<string, string>> Contents() => _stateMachine?.Contents() ?? [];

    /// <summary>The coordination module's tree, or null while the node is down.</summary>
    public DataTree? Tree => _stateMachine?.Tree;

    /// <summary>Successful session moves this process applied (0 while down).</summary>
    public int SessionsMoved => _stateMachine?.SessionsMoved ?? 0;

    /// <summary>Coordination commands this process applied that failed with SessionMoved (0 while down).</summary>
    public int FencedCommands => _stateMachine?.FencedCommands ?? 0;

    /// <summary>Starts (or restarts) the process: recovers from the disk and starts ticking.</summary>
    public void Start()
    {
        Invariant.Check(!IsUp, "node {0} is already up", Id);
        Incarnation++;
        _store = new ObservedLogStore(Disk.Open());
        _stateMachine = new NodeStateMachine(DivergentTree ? () => CoordinationClock.ToMs(_queue.Now) : null);
        var raftRandom = new SeededRandom(_random.NextUInt64());
        Guard(() => Replica = RaftReplica.Recover(_raftOptions, _replicaOptions, _store, _stateMachine.StateMachine, this, this, raftRandom));
        Applied = _store.RecoveredSnapshotIndex;
        _observer.OnStarted(this, Applied);
        Record(TraceKind.Start, Applied);
        ScheduleTick(_random.Next((int)Math.Min(int.MaxValue, _tickMicros)));
        Guard(Pump);
        _observer.AfterEvent(this);
    }

    /// <summary>Power loss: the process vanishes mid-whatever; the disk keeps only what was synced (maybe torn).</summary>
    public void Crash()
    {
        Invariant.Check(IsUp, "node {0} is already down", Id);
        Incarnation++;
        Replica = null;
        _store = null;
        _stateMachine = null;
        Disk.Crash(_random);
        Record(TraceKind.Crash);
        foreach (var writes in _writes.Values)
        {
            foreach (var write in writes)
            {
                write.OnOutcome(WriteOutcome.Unknown);
            }
        }
        _writes.Clear();
        foreach (var read in _reads.Values)
        {
            read.OnOutcome(ReadOutcome.NoAnswer);
        }
        _reads.Clear();
        foreach (var (_, read) in _readsAwaitingApply)
        {
            read.OnOutcome(ReadOutcome.NoAnswer);
        }
        _readsAwaitingApply.Clear();
        foreach (var forward in _forwards.Values)
        {
            forward(ForwardOutcome.Unknown);
        }
        _forwards.Clear();
    }

    public void Deliver(Message message)
    {
        var node = Raft;
        if (node is null)
        {
            return;
        }
        Guard(() =>
        {
            ulong commit = node.CommitIndex;
            node.Step(message);
            if (message.Type == MessageType.Durable && node.CommitIndex > commit)
            {
                DurableCommits++;
            }
            Record(TraceKind.Receive, (ulong)message.Type, message.From.Value, _trace.Enabled ? MessageText.Describe(message) : null);
            Pump();
        });
        _observer.AfterEvent(this);
    }

    /// <summary>Runs one of the node's steps, naming the node if the production code under test throws.</summary>
    private void Guard(Action step)
    {
        try
        {
            step();
        }
        catch (Exception exception) when (exception is not NodeFailedException)
        {
            throw new NodeFailedException(Id, exception);
        }
    }

    public void ReportUnreachable(NodeId peer)
    {
        if (Raft is not { } node)
        {
            return;
        }
        Guard(() =>
        {
            node.ReportUnreachable(peer);
            Record(TraceKind.Unreachable, peer.Value);
            Pump();
        });
        _observer.AfterEvent(this);
    }

    /// <summary>A client's write: proposes the batch; <paramref name="onOutcome"/> hears what became of it if accepted.</summary>
    public ProposeResult Propose(ReadOnlyMemory<byte> batch, Action<WriteOutcome> onOutcome)
    {
        var node = Raft ?? throw new InvalidOperationException($"node {Id} is down");
        var result = default(ProposeResult);
        Guard(() =>
        {
            result = node.Propose(batch);
            Record(TraceKind.Propose, (ulong)result.Status, result.Index);
            if (result.IsAccepted)
            {
                AddPendingWrite(result, onOutcome);
            }
            Pump();
        });
        _observer.AfterEvent(this);
        return result;
    }

    /// <summary>
    /// A client's write through this node, as the coordination service takes one: the leader appends
    /// it; a follower forwards it and answers once it applies it (committed, perhaps from a durable
    /// notice, before the leader knows). <paramref name="onAccepted"/> hears of a write this node
    /// appended as leader, <paramref name="onForwarded"/> of one it forwarded.
    /// </summary>
    public ProposeResult ProposeOrForward(ReadOnlyMemory<byte> command, Action<WriteOutcome> onAccepted, Action<ForwardOutcome> onForwarded)
    {
        var node = Raft ?? throw new InvalidOperationException($"node {Id} is down");
        var result = default(ProposeResult);
        Guard(() =>
        {
            result = node.ProposeOrForward([command]);
            if (result.Status == ProposeStatus.Forwarded)
            {
                Record(TraceKind.Propose, (ulong)result.Status, result.Leader.Value);
                _forwards[Fingerprint.OfContent(new Entry(0, 0, EntryType.Normal, command))] = onForwarded;
            }
            else
            {
                Record(TraceKind.Propose, (ulong)result.Status, result.Index);
                if (result.IsAccepted)
                {
                    AddPendingWrite(result, onAccepted);
                }
            }
            Pump();
        });
        _observer.AfterEvent(this);
        return result;
    }

    /// <summary>A client's linearizable read of <paramref name="key"/>, confirmed with a read index.</summary>
    public void Read(ulong requestId, string key, Action<ReadOutcome> onOutcome)
    {
        var node = Raft ?? throw new InvalidOperationException($"node {Id} is down");
        if (LocalReads)
        {
            onOutcome(new ReadOutcome(true, _stateMachine!.Get(key)));
            return;
        }
        _reads.Add(requestId, new PendingRead(key, onOutcome));
        Guard(() =>
        {
            node.ReadIndex(requestId);
            Record(TraceKind.Read, requestId);
            Pump();
        });
        _observer.AfterEvent(this);
    }

    private void AddPendingWrite(ProposeResult accepted, Action<WriteOutcome> onOutcome)
    {
        if (!_writes.TryGetValue(accepted.Index, out var writes))
        {
            writes = [];
            _writes.Add(accepted.Index, writes);
        }
        writes.Add(new PendingWrite(accepted.Term, onOutcome));
    }

    public ProposeResult ProposeMembershipChange(MembershipChange change)
    {
        var node = Raft ?? throw new InvalidOperationException($"node {Id} is down");
        var result = default(ProposeResult);
        Guard(() =>
        {
            result = node.ProposeMembershipChange(change);
            Record(TraceKind.ProposeMembership, (ulong)result.Status, text: $"{change.Type} {change.Node}");
            Pump();
        });
        _observer.AfterEvent(this);
        return result;
    }

    public bool TransferLeadership(NodeId target)
    {
        var node = Raft ?? throw new InvalidOperationException($"node {Id} is down");
        bool started = false;
        Guard(() =>
        {
            started = node.TransferLeadership(target);
            Record(TraceKind.Transfer, target.Value, started ? 1UL : 0);
            Pump();
        });
        _observer.AfterEvent(this);
        return started;
    }

    void IMessageTransport.Send(Message message)
    {
        Invariant.Check(message.From == Id, "node {0} sent a message in another node's name", Id);
        _network.Send(message);
    }

    void IReplicaListener.OnApplied(in Entry entry)
    {
        Applied = entry.Index;
        _observer.OnApplied(this, entry);
        if (_writes.Remove(entry.Index, out var writes))
        {
            foreach (var write in writes)
            {
                write.OnOutcome(write.Term == entry.Term ? WriteOutcome.Committed : WriteOutcome.Superseded);
            }
        }
        if (_forwards.Count > 0 && entry.Type == EntryType.Normal && _forwards.Remove(Fingerprint.OfContent(entry), out var forward))
        {
            forward(new ForwardOutcome(true, entry.Index, entry.Term));
        }
        ServeReadsUpTo(entry.Index);
    }

    void IReplicaListener.OnSnapshotRestored(SnapshotMetadata metadata)
    {
        Applied = metadata.Index;
        _observer.OnSnapshotRestored(this, metadata);
        foreach (ulong index in _writes.Keys.Where(index => index <= metadata.Index).ToArray())
        {
            _writes.Remove(index, out var writes);
            foreach (var write in writes!)
            {
                write.OnOutcome(WriteOutcome.Unknown);
            }
        }
        ServeReadsUpTo(metadata.Index);
    }

    void IReplicaListener.OnReadReady(ReadState state)
    {
        if (!_reads.Remove(state.RequestId, out var read))
        {
            return;
        }
        if (Applied >= state.Index)
        {
            read.OnOutcome(new ReadOutcome(true, _stateMachine!.Get(read.Key)));
        }
        else
        {
            _readsAwaitingApply.Add((state.Index, read));
        }
    }

    void IReplicaListener.OnReadDropped(ulong requestId)
    {
        if (_reads.Remove(requestId, out var read))
        {
            read.OnOutcome(ReadOutcome.NoAnswer);
        }
    }

    private void ServeReadsUpTo(ulong applied)
    {
        if (_readsAwaitingApply.Count == 0)
        {
            return;
        }
        for (int i = 0; i < _readsAwaitingApply.Count; i++)
        {
            var (index, read) = _readsAwaitingApply[i];
            if (index <= applied)
            {
                read.OnOutcome(new ReadOutcome(true, _stateMachine!.Get(read.Key)));
                _readsAwaitingApply.RemoveAt(i);
                i--;
            }
        }
    }

    private void ScheduleTick(long delay)
    {
        int incarnation = Incarnation;
        _queue.After(delay, () =>
        {
            if (incarnation != Incarnation)
            {
                return;
            }
            Guard(() =>
            {
                Raft!.Tick();
                Record(TraceKind.Tick);
                Pump();
            });
            _observer.AfterEvent(this);
            ScheduleTick(_tickMicros);
        });
    }

    /// <summary>
    /// Runs cycles while the node has work. A cycle that wrote to the store completes after the disk's
    /// flush latency; in between, the node keeps taking input, which lands in the next cycle.
    /// </summary>
    private void Pump()
    {
        var replica = Replica!;
        while (!replica.CycleInFlight)
        {
            _store!.ClearWritten();
            if (!replica.BeginCycle())
            {
                return;
            }
            if (_store.Written)
            {
                int incarnation = Incarnation;
                _queue.After(SampleSyncLatency(), () =>
                {
                    if (incarnation != Incarnation)
                    {
                        return;
                    }
                    Guard(() =>
                    {
                        ulong commit = Raft!.CommitIndex;
                        Replica!.CompleteCycle();
                        // A follower commits at the end of its flush only from a durable notice.
                        if (Raft.Role != RaftRole.Leader && Raft.CommitIndex > commit)
                        {
                            DurableCommits++;
                        }
                        Record(TraceKind.Flushed);
                        Pump();
                    });
                    _observer.AfterEvent(this);
                });
                return;
            }
            replica.CompleteCycle();
        }
    }

    private long SampleSyncLatency()
    {
        long span = _options.MaxSyncMicros - _options.MinSyncMicros;
        long latency = _options.MinSyncMicros + (long)(_random.NextDouble() * span);
        if (_random.NextDouble() < _options.VerySlowSyncProbability && DiskStalls)
        {
            latency *= _random.Next(20, 100);
        }
        return latency;
    }

    private void Record(TraceKind kind, ulong a = 0, ulong b = 0, string? text = null) =>
        _trace.Node(Id.Value, Raft, Applied, kind, a, b, text);

    private sealed record PendingWrite(ulong Term, Action<WriteOutcome> OnOutcome);

    private sealed record PendingRead(string Key, Action<ReadOutcome> OnOutcome);
}
