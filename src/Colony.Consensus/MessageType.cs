namespace Colony.Consensus;

/// <summary>Raft message kinds. The numeric values go on the wire between nodes: never renumber them.</summary>
public enum MessageType : byte
{
    /// <summary>Pre-vote request: "would you vote for me in term+1?" Changes no state on the receiver.</summary>
    PreVote = 1,
    PreVoteResponse = 2,
    Vote = 3,
    VoteResponse = 4,

    /// <summary>AppendEntries: Index/LogTerm name the entry before <see cref="Message.Entries"/>.</summary>
    Append = 5,

    /// <summary>Reply to Append or to a completed snapshot: Index is the receiver's last matching index, or, on reject, the rejected index.</summary>
    AppendResponse = 6,
    Heartbeat = 7,
    HeartbeatResponse = 8,

    /// <summary>One chunk of an InstallSnapshot transfer.</summary>
    SnapshotChunk = 9,

    /// <summary>Acknowledges a snapshot chunk: SnapshotOffset is the next offset the receiver expects.</summary>
    SnapshotChunkResponse = 10,

    /// <summary>From a leader handing over leadership: "campaign now".</summary>
    TimeoutNow = 11,

    /// <summary>A follower asking the leader for a read index on behalf of one of its readers.</summary>
    ReadIndex = 12,
    ReadIndexResponse = 13,

    /// <summary>
    /// Commands forwarded by a follower to its leader, which appends them as its own proposals.
    /// Fire and forget: the sender learns the outcome by watching what it applies.
    /// </summary>
    Propose = 14,

    /// <summary>
    /// From the leader to a follower that holds everything the leader has: Commit is the new commit
    /// index, capped at what the follower is known to hold. Unanswered: an empty Append would do the
    /// same, but its acknowledgement says nothing the leader does not know, and on the write path the
    /// follower would send it before it applies and answers its clients.
    /// </summary>
    Commit = 15,

    /// <summary>
    /// From the leader to a voting follower, once the leader's flush ends: Index is how far the
    /// leader's log is durable. Sent only while the leader and one follower are a quorum; a follower
    /// whose own copy is durable up to there commits it without waiting for a commit notice.
    /// Unanswered.
    /// </summary>
    Durable = 16,
}
