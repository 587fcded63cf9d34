using Colony.Core;

namespace Colony.Consensus;

/// <summary>
/// What Raft must persist before it answers anyone: the current term, the vote cast in it, and the
/// commit index (kept so that a restarted node re-applies without waiting for a leader).
/// </summary>
public readonly record struct HardState(ulong Term, NodeId Vote, ulong Commit)
{
    public static readonly HardState Empty = default;

    public bool IsEmpty => this == Empty;

    public override string ToString() => $"term={Term} vote={Vote} commit={Commit}";
}
