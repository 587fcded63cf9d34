using Colony.Consensus;
using Colony.Coordination.Tree;
using Colony.Node.ZooKeeper;

namespace Colony.Node.Hosting;

/// <summary>The replica loop as the coordination service's host.</summary>
public sealed partial class ReplicaLoop : ICoordinationHost
{
    /// <summary>The ZooKeeper data tree's module of the replicated state machine.</summary>
    public CoordinationModule Coordination { get; } = new();

    /// <summary>Raised on the loop thread after every Raft tick.</summary>
    internal event Action? Ticked;

    ulong ICoordinationHost.NodeId => _options.NodeId;

    bool ICoordinationHost.IsLeader => _replica.Node.Role == RaftRole.Leader;

    ulong ICoordinationHost.Leader => _replica.Node.Leader.Value;

    ulong ICoordinationHost.AppliedIndex => _replica.Node.AppliedIndex;

    void ICoordinationHost.Post(Action work) => Post(work);

    ProposeResult ICoordinationHost.ProposeOrForward(IReadOnlyList<ReadOnlyMemory<byte>> entries) => _replica.Node.ProposeOrForward(entries);

    private void Tick()
    {
        _replica.Node.Tick();
        Ticked?.Invoke();
    }
}
