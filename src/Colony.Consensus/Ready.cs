using Colony.Core;

namespace Colony.Consensus;

/// <summary>The role a node plays in its current term.</summary>
public enum RaftRole : byte
{
    Follower = 1,
    PreCandidate = 2,
    Candidate = 3,
    Leader = 4,
}

/// <summary>State that need not be persisted: who leads, and this node's role.</summary>
public readonly record struct SoftState(NodeId Leader, RaftRole Role);

/// <summary>A linearizable read point: once the state machine has applied <see cref="Index"/>, reading it answers request <see cref="RequestId"/>.</summary>
public readonly record struct ReadState(ulong RequestId, ulong Index);

/// <summary>
/// Everything the core wants done, in one batch. The driver must:
/// <list type="number">
/// <item>send <see cref="Messages"/> (safe before the writes below);</item>
/// <item>persist <see cref="Snapshot"/>, <see cref="Entries"/> and <see cref="HardState"/> durably (fsync);</item>
/// <item>only then send <see cref="MessagesAfterPersist"/>: they vouch for that state (votes, acks);</item>
/// <item>apply <see cref="CommittedEntries"/> in order (and install <see cref="Snapshot"/> in the state machine first);</item>
/// <item>call <see cref="RaftNode.Advance"/>.</item>
/// </list>
/// </summary>
public sealed class Ready
{
    /// <summary>Set when the leader or role changed since the last Ready.</summary>
    public SoftState? SoftState { get; init; }

    /// <summary>Set when term, vote or commit changed: persist it.</summary>
    public HardState? HardState { get; init; }

    /// <summary>Entries to persist. The first may overwrite stored entries: storage drops everything from its index on.</summary>
    public IReadOnlyList<Entry> Entries { get; init; } = [];

    /// <summary>A snapshot received from the leader: persist it, then restore the state machine from it.</summary>
    public Snapshot? Snapshot { get; init; }

    /// <summary>Committed entries to apply, all of them already durable locally.</summary>
    public IReadOnlyList<Entry> CommittedEntries { get; init; } = [];

    /// <summary>Messages that vouch for nothing unpersisted: send them at once.</summary>
    public IReadOnlyList<Message> Messages { get; init; } = [];

    /// <summary>Messages that may only leave once this Ready's state is durable (responses, votes).</summary>
    public IReadOnlyList<Message> MessagesAfterPersist { get; init; } = [];

    /// <summary>Read indexes confirmed since the last Ready.</summary>
    public IReadOnlyList<ReadState> ReadStates { get; init; } = [];

    /// <summary>Read-index requests that cannot be served (no leader, or leadership lost): fail or retry them.</summary>
    public IReadOnlyList<ulong> DroppedReads { get; init; } = [];

    /// <summary>
    /// Set when term or vote changed. A new commit index alone needs no fsync: it is written with
    /// the next sync, and a node that loses it restarts with an older one and learns it again.
    /// </summary>
    public bool TermOrVoteChanged { get; init; }

    public bool MustSync => TermOrVoteChanged || Entries.Count > 0 || Snapshot is not null;
}
