using Colony.Consensus;
using Colony.Coordination.Reconfig;

namespace Colony.Node.ZooKeeper;

/// <summary>
/// What the coordination server needs from the node's replica loop. "Loop thread" means whichever
/// thread runs the loop at the time: its own, or one that found it idle (docs/consensus.md); the loop
/// runs on one thread at a time.
/// </summary>
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

    /// <summary>
    /// Runs <paramref name="submit"/> (which posts work, and must return with no lock held), then
    /// runs the loop on the calling thread if it is idle, as far as it can go without blocking, so
    /// that a request's proposal leaves without waking the loop's thread. Whatever would block (an
    /// fsync) is left to the loop's thread.
    /// </summary>
    void SubmitAndRun(Action submit);

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

    /// <summary>Loop thread only: this node is a learner (a ZooKeeper observer): it follows, and never votes.</summary>
    bool IsLearner { get; }

    /// <summary>Loop thread only: the members as <c>/zookeeper/config</c> lists them, with their addresses.</summary>
    IReadOnlyList<ServerSpec> Ensemble { get; }

    /// <summary>Any thread: the latest replica status (role, members, the followers' progress as a leader sees it), at most a tick old.</summary>
    Colony.Node.Hosting.NodeStatus Status { get; }

    /// <summary>Any thread: makes one membership change through the leader and waits until it commits.</summary>
    Task<MembershipStepOutcome> ChangeMembershipAsync(ReconfigStep step);
}

/// <summary>How one membership change of a reconfig ended.</summary>
internal sealed record MembershipStepOutcome(MembershipStepStatus Status, string? Error = null)
{
    public static readonly MembershipStepOutcome Done = new(MembershipStepStatus.Done);
    public static readonly MembershipStepOutcome Busy = new(MembershipStepStatus.Busy);
    public static readonly MembershipStepOutcome Failed = new(MembershipStepStatus.Failed);

    public static MembershipStepOutcome Refused(string error) => new(MembershipStepStatus.Refused, error);
}

internal enum MembershipStepStatus
{
    /// <summary>Committed.</summary>
    Done,

    /// <summary>Another membership change is in flight (ReconfigInProgress).</summary>
    Busy,

    /// <summary>The leader refused it as meaningless here, e.g. the node is already a member (BadArguments).</summary>
    Refused,

    /// <summary>No leader took it, or its outcome is unknown (NewConfigNoQuorum).</summary>
    Failed,
}
