namespace Colony.Consensus;

/// <summary>How the leader is currently replicating to a follower.</summary>
internal enum ReplicationState : byte
{
    /// <summary>Position unknown: send one Append at a time and wait for the answer.</summary>
    Probe,

    /// <summary>Logs match: stream Appends optimistically, bounded by <see cref="Inflights"/>.</summary>
    Replicate,

    /// <summary>The follower needs entries we compacted: a snapshot transfer is under way.</summary>
    Snapshot,
}

/// <summary>The leader's view of one follower (etcd's Progress).</summary>
internal sealed class Progress(int maxInflight, long maxInflightBytes)
{
    public ulong Match { get; set; }

    public ulong Next { get; set; } = 1;

    public ReplicationState State { get; private set; } = ReplicationState.Probe;

    /// <summary>In Probe: an Append is outstanding, wait for its answer (or the next heartbeat).</summary>
    public bool ProbeSent { get; set; }

    /// <summary>In Snapshot: the index of the snapshot being sent.</summary>
    public ulong PendingSnapshot => SendingSnapshot?.Metadata.Index ?? 0;

    /// <summary>
    /// In Snapshot: the snapshot being sent, pinned for the whole transfer so that a newer local
    /// snapshot does not restart it (a slow transfer would otherwise never finish).
    /// </summary>
    public Snapshot? SendingSnapshot { get; private set; }

    /// <summary>In Snapshot: the offset the follower has acknowledged receiving up to.</summary>
    public long SnapshotOffset { get; set; }

    /// <summary>In Snapshot: the offset of the next chunk to send (chunks up to it are in flight).</summary>
    public long SnapshotSentOffset { get; set; }

    /// <summary>Heartbeat intervals since the snapshot transfer last moved.</summary>
    public int SnapshotStallHeartbeats { get; set; }

    /// <summary>Heartbeat answers since Match last moved (while streaming).</summary>
    public int StalledHeartbeats { get; private set; }

    /// <summary>Counts one more heartbeat answer without progress; returns the count.</summary>
    public int NoteStalledHeartbeat() => ++StalledHeartbeats;

    /// <summary>Heard from since the last check-quorum round.</summary>
    public bool RecentActive { get; set; }

    /// <summary>Heard from in the window the last check-quorum round closed.</summary>
    public bool ActiveLastWindow { get; set; }

    /// <summary>The commit index last sent to this follower.</summary>
    public ulong SentCommit { get; set; }

    /// <summary>The highest index this follower was told is durable in the leader's log (a Durable notice).</summary>
    public ulong SentDurable { get; set; }

    /// <summary>The newest heartbeat round this follower acknowledged (confirms reads and leases).</summary>
    public ulong RoundAcked { get; set; }

    public Inflights Inflights { get; } = new(maxInflight, maxInflightBytes);

    /// <summary>True when nothing more may be sent now.</summary>
    public bool IsPaused => State switch
    {
        ReplicationState.Probe => ProbeSent,
        ReplicationState.Replicate => Inflights.Full,
        _ => true,
    };

    public void BecomeProbe()
    {
        // Leaving a snapshot transfer, resume just after the snapshot (or after Match if later).
        Next = State == ReplicationState.Snapshot ? Math.Max(Match + 1, PendingSnapshot + 1) : Match + 1;
        // (PendingSnapshot is read before Reset clears the pinned snapshot.)
        Reset(ReplicationState.Probe);
    }

    public void BecomeReplicate()
    {
        Next = Match + 1;
        Reset(ReplicationState.Replicate);
    }

    public void BecomeSnapshot(Snapshot snapshot)
    {
        Reset(ReplicationState.Snapshot);
        SendingSnapshot = snapshot;
    }

    /// <summary>An Append up to <paramref name="index"/> was acknowledged. Returns true if Match moved.</summary>
    public bool MaybeUpdate(ulong index)
    {
        bool updated = false;
        if (Match < index)
        {
            Match = index;
            updated = true;
            ProbeSent = false;
            StalledHeartbeats = 0;
        }
        Next = Math.Max(Next, index + 1);
        return updated;
    }

    /// <summary>
    /// An Append at <paramref name="rejected"/> was refused; the follower's log may match up to
    /// <paramref name="matchHint"/>. Returns false if the rejection is stale.
    /// </summary>
    public bool MaybeDecreaseTo(ulong rejected, ulong matchHint)
    {
        if (State == ReplicationState.Replicate)
        {
            if (rejected <= Match)
            {
                return false;
            }
            Next = Match + 1;
            return true;
        }
        if (Next - 1 != rejected)
        {
            return false;
        }
        Next = Math.Max(Math.Min(rejected, matchHint + 1), Match + 1);
        ProbeSent = false;
        return true;
    }

    /// <summary>Records an Append sent with entries up to <paramref name="lastIndex"/>.</summary>
    public void OnAppendSent(ulong lastIndex, long bytes, int entryCount)
    {
        if (State == ReplicationState.Replicate)
        {
            if (entryCount > 0)
            {
                Next = lastIndex + 1;
                Inflights.Add(lastIndex, bytes);
            }
        }
        else if (State == ReplicationState.Probe)
        {
            ProbeSent = true;
        }
    }

    public override string ToString() => $"{State} match={Match} next={Next}";

    private void Reset(ReplicationState state)
    {
        State = state;
        ProbeSent = false;
        StalledHeartbeats = 0;
        SendingSnapshot = null;
        SnapshotOffset = 0;
        SnapshotSentOffset = 0;
        SnapshotStallHeartbeats = 0;
        Inflights.Reset();
    }
}
