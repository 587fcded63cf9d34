using Colony.Consensus;

namespace Colony.Node.ZooKeeper;

/// <summary>What the coordination server needs from the node's replica loop.</summary>
internal interface ICoordinationHost
{
    ulong NodeId { get; }

    /// <summary>
    /// The lock that guards the coordination state: the loop holds it while it applies commands
    /// to the tree, restores it or captures it, and the server holds it for everything else.
    /// </summary>
    object Gate { get; }

    /// <summary>Runs <paramref name="work"/> on the loop thread, after the work already queued.</summary>
    void Post(Action work);

    /// <summary>Loop thread only: appends (as leader) or forwards (as follower) log entries.</summary>
    ProposeResult ProposeOrForward(IReadOnlyList<ReadOnlyMemory<byte>> entries);

    /// <summary>Loop thread only.</summary>
    bool IsLeader { get; }

    /// <summary>Loop thread only: the leader this node follows, 0 if none.</summary>
    ulong Leader { get; }

    /// <summary>
    /// Loop thread only: this node leads, or follows a leader it is connected to right now. A
    /// leader whose connection just broke is probably gone: writes wait rather than vanish with it.
    /// </summary>
    bool LeaderReachable { get; }
}
