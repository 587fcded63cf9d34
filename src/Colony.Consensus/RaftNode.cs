using Colony.Core;

namespace Colony.Consensus;

/// <summary>
/// A Raft node as a pure state machine, in the style of etcd's RawNode: no threads, no clock, no I/O.
/// Feed it <see cref="Tick"/>, <see cref="Step"/> and proposals; collect its work with
/// <see cref="GetReady"/>; report that work done with <see cref="Advance"/>. Not thread-safe.
/// </summary>
public sealed partial class RaftNode
{
    public RaftNode(RaftOptions options, PersistentState state, IRandomSource random)
    {
        throw new NotImplementedException();
    }

    public NodeId Id => throw new NotImplementedException();
    public RaftRole Role => throw new NotImplementedException();
    public ulong Term => throw new NotImplementedException();
    public NodeId Leader => throw new NotImplementedException();
    public ulong CommitIndex => throw new NotImplementedException();
    public ulong AppliedIndex => throw new NotImplementedException();
    public ulong LastIndex => throw new NotImplementedException();
    public Membership Membership => throw new NotImplementedException();

    /// <summary>The first index still in the in-memory log (entries before it are covered by <see cref="LatestSnapshot"/>).</summary>
    public ulong FirstIndex => throw new NotImplementedException();

    /// <summary>The newest snapshot this node holds (taken locally or received).</summary>
    public SnapshotMetadata LatestSnapshot => throw new NotImplementedException();

    /// <summary>Entries in [<paramref name="from"/>, <paramref name="toInclusive"/>], clamped to what the log holds. For checkers and status.</summary>
    public IReadOnlyList<Entry> GetEntries(ulong from, ulong toInclusive) => throw new NotImplementedException();

    /// <summary>Advances logical time by one tick.</summary>
    public void Tick() => throw new NotImplementedException();

    /// <summary>Handles a message from a peer.</summary>
    public void Step(Message message) => throw new NotImplementedException();

    /// <summary>Proposes one command.</summary>
    public ProposeResult Propose(ReadOnlyMemory<byte> command) => throw new NotImplementedException();

    /// <summary>Proposes a batch of commands, one entry each, appended contiguously.</summary>
    public ProposeResult Propose(IReadOnlyList<ReadOnlyMemory<byte>> commands) => throw new NotImplementedException();

    /// <summary>Proposes adding, promoting or removing one member.</summary>
    public ProposeResult ProposeMembershipChange(MembershipChange change) => throw new NotImplementedException();

    /// <summary>Asks for a linearizable read point; the answer comes as a <see cref="ReadState"/> (or a dropped read) in a later Ready.</summary>
    public void ReadIndex(ulong requestId) => throw new NotImplementedException();

    /// <summary>On the leader: hand leadership to <paramref name="target"/>. Returns false if that cannot start.</summary>
    public bool TransferLeadership(NodeId target) => throw new NotImplementedException();

    /// <summary>Starts an election now (skipping the timeout).</summary>
    public void Campaign() => throw new NotImplementedException();

    /// <summary>The transport could not reach <paramref name="peer"/>: stop pipelining to it.</summary>
    public void ReportUnreachable(NodeId peer) => throw new NotImplementedException();

    public bool HasReady() => throw new NotImplementedException();

    public Ready GetReady() => throw new NotImplementedException();

    public void Advance(Ready ready) => throw new NotImplementedException();

    /// <summary>The state machine snapshotted itself at <paramref name="index"/> (≤ applied): keep the snapshot for slow followers and drop the log before it.</summary>
    public Snapshot Compact(ulong index, ReadOnlyMemory<byte> data) => throw new NotImplementedException();

    public RaftStatus GetStatus() => throw new NotImplementedException();
}
