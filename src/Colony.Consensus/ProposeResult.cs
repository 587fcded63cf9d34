using Colony.Core;

namespace Colony.Consensus;

/// <summary>The outcome of a proposal.</summary>
public enum ProposeStatus : byte
{
    /// <summary>Appended to the leader's log; watch for the entry at <see cref="ProposeResult.Index"/> with <see cref="ProposeResult.Term"/>.</summary>
    Accepted = 1,

    /// <summary>This node does not lead; <see cref="ProposeResult.Leader"/> may name who does.</summary>
    NotLeader = 2,

    /// <summary>Leadership is being handed over; retry shortly.</summary>
    TransferInProgress = 3,

    /// <summary>Too many uncommitted bytes; back off.</summary>
    Overloaded = 4,

    /// <summary>A membership change is already in flight, or the leader has not committed in its term yet.</summary>
    MembershipChangeInProgress = 5,

    /// <summary>The proposal itself is invalid (see <see cref="ProposeResult.Error"/>).</summary>
    Invalid = 6,

    /// <summary>
    /// Sent on to the leader named in <see cref="ProposeResult.Leader"/>. Nothing is promised: a lost
    /// message or a change of leader drops it, so the proposer watches what it applies and gives up
    /// after a deadline.
    /// </summary>
    Forwarded = 7,
}

/// <summary>What happened to a proposal: where its entries went, or why they were refused.</summary>
public readonly record struct ProposeResult(ProposeStatus Status, ulong Index, ulong Term, NodeId Leader, string? Error = null)
{
    public bool IsAccepted => Status == ProposeStatus.Accepted;
}
