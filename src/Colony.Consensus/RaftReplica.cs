using Colony.Core;

namespace Colony.Consensus;

/// <summary>
/// The driver around a <see cref="RaftNode"/>: it does the node's I/O through seams (log store,
/// state machine, transport), in the order Raft requires. A cycle has two halves so that the caller
/// decides when the flush happens (a real disk, or a simulated one with latency):
/// <see cref="BeginCycle"/> sends what is safe to send and buffers the writes;
/// <see cref="CompleteCycle"/> flushes, then sends the acknowledgements, applies and advances.
/// Everything proposed while a flush is in flight lands in the next cycle: that is group commit.
/// Not thread-safe: one loop drives it. Local snapshots run through <see cref="ReplicaOptions.SnapshotScheduler"/>
/// (see RaftReplica.Snapshots.cs).
/// </summary>
public sealed partial class RaftReplica
{
    private readonly IRaftLogStore _store;
    private readonly IStateMachine _stateMachine;
    private readonly IMessageTransport _transport;
    private readonly IReplicaListener _listener;
    private readonly ReplicaOptions _options;
    private Ready? _inFlight;

    private RaftReplica(
        RaftNode node, IRaftLogStore store, IStateMachine stateMachine, IMessageTransport transport,
        IReplicaListener listener, ReplicaOptions options, Snapshot recovered)
    {
        Node = node;
        _store = store;
        _stateMachine = stateMachine;
        _transport = transport;
        _listener = listener;
        _options = options;
        _snapshotIndex = recovered.Metadata.Index;
        _lastSnapshotBytes = recovered.Data.Length;
    }

    public RaftNode Node { get; }

    /// <summary>True between <see cref="BeginCycle"/> and <see cref="CompleteCycle"/>.</summary>
    public bool CycleInFlight => _inFlight is not null;

    /// <summary>True when the cycle in flight has something to make durable, so <see cref="CompleteCycle"/> will fsync.</summary>
    public bool CycleMustSync => _inFlight?.MustSync ?? false;

    /// <summary>Recovers a replica from its store: restores the newest snapshot, then lets Raft re-apply the committed log.</summary>
    public static RaftReplica Recover(
        RaftOptions raftOptions, ReplicaOptions options, IRaftLogStore store, IStateMachine stateMachine,
        IMessageTransport transport, IReplicaListener listener, IRandomSource random)
    {
        options.Validate();
        var state = store.Load();
        if (!state.Snapshot.IsEmpty)
        {
            using var stream = new MemoryStream(state.Snapshot.Data.ToArray(), writable: false);
            stateMachine.Restore(stream);
        }
        var node = new RaftNode(raftOptions, state, random);
        return new RaftReplica(node, store, stateMachine, transport, listener, options, state.Snapshot);
    }

    /// <summary>
    /// Starts a cycle if the node has work: sends the messages that vouch for nothing, and writes
    /// (without flushing) the snapshot, entries and hard state. Returns false if there was nothing to do.
    /// </summary>
    public bool BeginCycle()
    {
        Invariant.Check(_inFlight is null, "a cycle is already in flight");
        AdvanceLocalSnapshot();
        if (!Node.HasReady())
        {
            return false;
        }
        var ready = Node.GetReady();
        _inFlight = ready;
        if (ready.SoftState is { } soft)
        {
            _listener.OnSoftStateChanged(soft);
        }
        foreach (var message in ready.Messages)
        {
            _transport.Send(message);
        }
        if (_options.Bugs.HasFlag(InjectedBugs.AckBeforePersist))
        {
            foreach (var message in ready.MessagesAfterPersist)
            {
                _transport.Send(message);
            }
        }
        if (ready.Snapshot is { } snapshot)
        {
            _store.InstallSnapshot(snapshot);
        }
        if (ready.Entries.Count > 0)
        {
            _store.Append(ready.Entries);
        }
        if (ready.HardState is { } hardState)
        {
            _store.SetHardState(hardState);
        }
        return true;
    }

    /// <summary>
    /// Finishes the cycle: flushes (fsync), then sends the acknowledgements, applies committed
    /// entries in order, reports reads and advances the node. May take a snapshot afterwards.
    /// </summary>
    public void CompleteCycle()
    {
        var ready = _inFlight ?? throw new InvalidOperationException("no cycle in flight");
        if (ready.MustSync)
        {
            _store.Sync();
        }
        if (!_options.Bugs.HasFlag(InjectedBugs.AckBeforePersist))
        {
            foreach (var message in ready.MessagesAfterPersist)
            {
                _transport.Send(message);
            }
        }
        if (ready.Snapshot is { } snapshot)
        {
            using var stream = new MemoryStream(snapshot.Data.ToArray(), writable: false);
            _stateMachine.Restore(stream);
            OnSnapshotRestored(snapshot);
            _listener.OnSnapshotRestored(snapshot.Metadata);
        }
        foreach (var entry in ready.CommittedEntries)
        {
            _stateMachine.Apply(entry);
            _appliedBytesSinceSnapshot += entry.Data.Length;
            _listener.OnApplied(entry);
        }
        foreach (var read in ready.ReadStates)
        {
            _listener.OnReadReady(read);
        }
        foreach (var requestId in ready.DroppedReads)
        {
            _listener.OnReadDropped(requestId);
        }
        _inFlight = null;
        Node.Advance(ready);
        AdvanceLocalSnapshot();
        MaybeSnapshot();
    }

    /// <summary>Runs one whole cycle synchronously (flush included). Returns false if there was nothing to do.</summary>
    public bool RunCycle()
    {
        if (!BeginCycle())
        {
            return false;
        }
        CompleteCycle();
        return true;
    }
}
