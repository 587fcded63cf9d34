using Colony.Core;

namespace Colony.Consensus;

/// <summary>A follower's replication progress as the leader sees it.</summary>
/// <param name="RecentActive">
/// Heard from in the current check-quorum window or the one before: a status read just after a
/// check, when every window starts empty, still counts the peers that answered in time.
/// </param>
public readonly record struct PeerProgress(NodeId Id, bool IsVoter, ulong Match, ulong Next, string State, bool RecentActive);

/// <summary>A point-in-time view of a node, for status pages and tests.</summary>
public sealed record RaftStatus(
    NodeId Id,
    RaftRole Role,
    ulong Term,
    NodeId Vote,
    NodeId Leader,
    ulong Commit,
    ulong Applied,
    ulong FirstIndex,
    ulong LastIndex,
    Membership Membership,
    IReadOnlyList<PeerProgress> Peers);
