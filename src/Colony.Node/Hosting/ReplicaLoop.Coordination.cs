using Colony.Consensus;
using Colony.Coordination.Tree;
using Colony.Node.ZooKeeper;

namespace Colony.Node.Hosting;

/// <summary>The replica loop as the coordination service's host.</summary>
public sealed partial class ReplicaLoop : ICoordinationHost
{
    /// <summary>The ZooKeeper data tree's module of the replicated state machine.</summary>
    public CoordinationModule Coordination { get; } = new();

    private const int StatusRefreshMilliseconds = 20;

    private bool _statusStale;
    private long _statusBuiltAt;

    /// <summary>Raised on the loop thread after every Raft tick.</summary>
    internal event Action? Ticked;

    /// <summary>Raised on the loop thread after every cycle of the replica (and before it waits).</summary>
    internal event Action? Cycled;

    /// <summary>Guards <see cref="Coordination"/>: held while commands are applied to it.</summary>
    internal object CoordinationGate { get; } = new();

    /// <summary>Raised on the loop thread after the state machine was replaced by a snapshot from the leader.</summary>
    internal event Action? SnapshotRestored;

    ulong ICoordinationHost.NodeId => _options.NodeId;

    object ICoordinationHost.Gate => CoordinationGate;

    bool ICoordinationHost.IsLeader => _replica.Node.Role == RaftRole.Leader;

    ulong ICoordinationHost.Leader => _replica.Node.Leader.Value;

    bool ICoordinationHost.LeaderReachable =>
        _replica.Node.Role == RaftRole.Leader
        || (!_replica.Node.Leader.IsNone && _transport.IsConnected(_replica.Node.Leader));

    void ICoordinationHost.Post(Action work) => Post(work);

    ProposeResult ICoordinationHost.ProposeOrForward(IReadOnlyList<ReadOnlyMemory<byte>> entries) => _replica.Node.ProposeOrForward(entries);
}
