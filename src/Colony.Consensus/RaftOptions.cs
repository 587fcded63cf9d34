using Colony.Core;

namespace Colony.Consensus;

/// <summary>How linearizable reads are confirmed.</summary>
public enum ReadMode : byte
{
    /// <summary>ReadIndex: the leader confirms it still leads with a heartbeat round to a quorum. No clock assumption.</summary>
    Safe = 1,

    /// <summary>
    /// Lease: the leader answers from its commit index while check-quorum says a quorum heard from it within
    /// an election timeout. Correct only if no node's clock runs faster than another's by more than the
    /// gap between the election timeout and the lease (see docs/consensus.md).
    /// </summary>
    Lease = 2,
}

/// <summary>Mutations of the algorithm that tests inject to prove the checkers catch them. Never set in production.</summary>
[Flags]
internal enum InjectedBugs
{
    None = 0,

    /// <summary>The leader commits an entry as soon as it is in its own log.</summary>
    CommitWithoutMajority = 1,

    /// <summary>A voter grants a vote even after voting for someone else in the same term.</summary>
    DoubleVote = 2,

    /// <summary>The driver sends acknowledgements before the state they vouch for is flushed.</summary>
    AckBeforePersist = 4,

    /// <summary>A follower commits from a durable notice whatever the term of the entry (no §5.4.2 check).</summary>
    DurableCommitAnyTerm = 8,

    /// <summary>A follower commits from a durable notice without knowing its log matches the leader's there.</summary>
    DurableCommitUnmatched = 16,

    /// <summary>The leader's linearizable reads wait for its commit index only, not for what it announced as durable.</summary>
    DurableReadPointIgnored = 32,

    /// <summary>The leader sends durable notices whatever the configuration: five voters, or a membership change in flight.</summary>
    DurableNoticeAnyQuorum = 64,

    /// <summary>The leader's durable notice leaves before its own flush ends.</summary>
    DurableNoticeBeforeFlush = 128,
}

/// <summary>Settings of one Raft node. Time is counted in ticks of the driver's clock.</summary>
public sealed class RaftOptions
{
    /// <summary>This node's id. Required, non-zero.</summary>
    public NodeId Id { get; init; }

    /// <summary>Ticks without hearing from a leader before a follower campaigns; randomized in [E, 2E). Default 10.</summary>
    public int ElectionTicks { get; init; } = 10;

    /// <summary>Ticks between leader heartbeats. Default 1. Must be less than <see cref="ElectionTicks"/>.</summary>
    public int HeartbeatTicks { get; init; } = 1;

    /// <summary>Run a pre-vote round before campaigning, so a returning partitioned node cannot disrupt. Default true.</summary>
    public bool PreVote { get; init; } = true;

    /// <summary>A leader that hears from no quorum for an election timeout steps down; voters honour a leader lease. Default true.</summary>
    public bool CheckQuorum { get; init; } = true;

    /// <summary>The most Append messages in flight to one follower. Default 256.</summary>
    public int MaxInflightAppends { get; init; } = 256;

    /// <summary>The most entry bytes in flight to one follower. Default 32 MiB.</summary>
    public long MaxInflightBytes { get; init; } = 32L << 20;

    /// <summary>The most entry bytes in one Append message (at least one entry is always sent). Default 1 MiB.</summary>
    public int MaxAppendBytes { get; init; } = 1 << 20;

    /// <summary>The most bytes of uncommitted entries a leader accepts before refusing proposals. Default 64 MiB.</summary>
    public long MaxUncommittedBytes { get; init; } = 64L << 20;

    /// <summary>The most committed-entry bytes handed to the driver in one Ready. Default 8 MiB.</summary>
    public long MaxApplyBytes { get; init; } = 8L << 20;

    /// <summary>Entries kept in memory below a new local snapshot, so followers just behind it catch up from the log. Default 1,024.</summary>
    public int RetainedEntriesAfterCompaction { get; init; } = 1024;

    /// <summary>Snapshot data is sent in chunks of at most this many bytes. Default 1 MiB.</summary>
    public int SnapshotChunkBytes { get; init; } = 1 << 20;

    /// <summary>
    /// For <see cref="ReadMode.Lease"/>: how much faster than the leader's any other node's clock may
    /// run (0.1 = 10%). The lease is the election timeout divided by (1 + this). Default 0.1.
    /// </summary>
    public double LeaseClockDrift { get; init; } = 0.1;

    /// <summary>How reads are confirmed. Default <see cref="ReadMode.Safe"/>.</summary>
    public ReadMode ReadMode { get; init; } = ReadMode.Safe;

    /// <summary>The voters of a brand-new cluster. Used only when the node has no log and no snapshot; empty for a node that joins later.</summary>
    public Membership InitialMembership { get; init; } = Membership.Empty;

    internal InjectedBugs Bugs { get; init; }

    /// <summary>Throws if a setting is out of range.</summary>
    public void Validate()
    {
        Require(!Id.IsNone, "Id must be non-zero");
        Require(HeartbeatTicks > 0, "HeartbeatTicks must be positive");
        Require(ElectionTicks > HeartbeatTicks, "ElectionTicks must exceed HeartbeatTicks");
        Require(MaxInflightAppends > 0, "MaxInflightAppends must be positive");
        Require(MaxInflightBytes > 0, "MaxInflightBytes must be positive");
        Require(MaxAppendBytes > 0, "MaxAppendBytes must be positive");
        Require(MaxUncommittedBytes > 0, "MaxUncommittedBytes must be positive");
        Require(MaxApplyBytes > 0, "MaxApplyBytes must be positive");
        Require(SnapshotChunkBytes > 0, "SnapshotChunkBytes must be positive");
        Require(RetainedEntriesAfterCompaction >= 0, "RetainedEntriesAfterCompaction must not be negative");
        Require(ReadMode != ReadMode.Lease || CheckQuorum, "ReadMode.Lease needs CheckQuorum");
        Require(Enum.IsDefined(ReadMode), "ReadMode is unknown");
        Require(LeaseClockDrift is >= 0 and < 1, "LeaseClockDrift must be in [0, 1)");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
