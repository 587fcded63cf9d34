using Colony.Core;

namespace Colony.Consensus;

/// <summary>
/// A Raft node as a pure state machine, in the style of etcd's RawNode: no threads, no clock, no I/O.
/// Feed it <see cref="Tick"/>, <see cref="Step"/> and proposals; collect its work with
/// <see cref="GetReady"/>; report that work done with <see cref="Advance"/>. Not thread-safe.
/// </summary>
/// <remarks>
/// The partial files split it by concern: elections (RaftNode.Election.cs), replication from the
/// leader (RaftNode.Replication.cs), the follower side (RaftNode.Follower.cs), reads
/// (RaftNode.Reads.cs), snapshots (RaftNode.Snapshots.cs) and the Ready cycle (RaftNode.Ready.cs).
/// </remarks>
public sealed partial class RaftNode
{
    private readonly RaftOptions _options;
    private readonly IRandomSource _random;
    private readonly RaftLog _log;
    private readonly Dictionary<NodeId, Progress> _progress = [];
    private Membership _membership;

    private ulong _term;
    private NodeId _vote;
    private NodeId _leader;
    private RaftRole _role = RaftRole.Follower;

    private int _electionElapsed;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;
    private long _ticksSinceStart;

    public RaftNode(RaftOptions options, PersistentState state, IRandomSource random)
    {
        options.Validate();
        _options = options;
        _random = random;
        _log = new RaftLog(state.Snapshot.Metadata, state.Entries, options.InitialMembership);
        _snapshot = state.Snapshot;
        _membership = _log.Membership;
        var hard = state.HardState;
        _term = hard.Term;
        _vote = hard.Vote;
        // A torn tail may have lost entries the old commit index covered; never claim beyond the log.
        _log.CommitTo(Math.Min(hard.Commit, _log.LastIndex));
        _prevHardState = CurrentHardState;
        _prevSoftState = CurrentSoftState;
        BecomeFollower(_term, NodeId.None);
    }

    public NodeId Id => _options.Id;

    public RaftRole Role => _role;

    public ulong Term => _term;

    public NodeId Leader => _leader;

    public ulong CommitIndex => _log.Committed;

    public ulong AppliedIndex => _log.Applied;

    public ulong LastIndex => _log.LastIndex;

    public Membership Membership => _membership;

    /// <summary>The first index still in the in-memory log (entries before it are covered by <see cref="LatestSnapshot"/>).</summary>
    public ulong FirstIndex => _log.FirstIndex;

    /// <summary>The newest snapshot this node holds (taken locally or received).</summary>
    public SnapshotMetadata LatestSnapshot => _snapshot.Metadata;

    /// <summary>Entries in [<paramref name="from"/>, <paramref name="toInclusive"/>], clamped to what the log holds. For checkers and status.</summary>
    public IReadOnlyList<Entry> GetEntries(ulong from, ulong toInclusive) => _log.Slice(from, toInclusive, long.MaxValue);

    private HardState CurrentHardState => new(_term, _vote, _log.Committed);

    private SoftState CurrentSoftState => new(_leader, _role);

    /// <summary>A voter in its own view of the membership: only those campaign.</summary>
    private bool IsPromotable => _membership.IsVoter(Id);

    /// <summary>Advances logical time by one tick.</summary>
    public void Tick()
    {
        _ticksSinceStart++;
        if (_role == RaftRole.Leader)
        {
            TickLeader();
        }
        else
        {
            TickElection();
        }
    }

    /// <summary>Handles a message from a peer.</summary>
    public void Step(Message message)
    {
        if (message.To != Id)
        {
            return;
        }
        if (!StepTerm(message))
        {
            return;
        }
        switch (message.Type)
        {
            case MessageType.PreVote:
            case MessageType.Vote:
                HandleVoteRequest(message);
                return;
            case MessageType.PreVoteResponse:
            case MessageType.VoteResponse:
                HandleVoteResponse(message);
                return;
        }
        switch (_role)
        {
            case RaftRole.Leader:
                StepLeader(message);
                break;
            case RaftRole.Candidate:
            case RaftRole.PreCandidate:
                StepCandidate(message);
                break;
            default:
                StepFollower(message);
                break;
        }
    }

    /// <summary>Proposes one command.</summary>
    public ProposeResult Propose(ReadOnlyMemory<byte> command) => Propose([command]);

    /// <summary>Proposes a batch of commands, one entry each, appended contiguously.</summary>
    public ProposeResult Propose(IReadOnlyList<ReadOnlyMemory<byte>> commands)
    {
        if (RefuseProposal() is { } refusal)
        {
            return refusal;
        }
        long bytes = 0;
        foreach (var command in commands)
        {
            bytes += command.Length + 24;
        }
        if (_uncommittedBytes > 0 && _uncommittedBytes + bytes > _options.MaxUncommittedBytes)
        {
            return new ProposeResult(ProposeStatus.Overloaded, 0, _term, Id, "too many uncommitted bytes");
        }
        return AppendProposals(commands);
    }

    private ProposeResult AppendProposals(IReadOnlyList<ReadOnlyMemory<byte>> commands)
    {
        ulong first = _log.LastIndex + 1;
        var entries = new Entry[commands.Count];
        for (int i = 0; i < entries.Length; i++)
        {
            entries[i] = new Entry(_term, first + (ulong)i, EntryType.Normal, commands[i]);
        }
        AppendAsLeader(entries);
        return new ProposeResult(ProposeStatus.Accepted, first, _term, Id);
    }

    /// <summary>
    /// Proposes commands from any member: the leader appends them; a follower or learner forwards
    /// them to the leader it follows. A forward is fire and forget (<see cref="ProposeStatus.Forwarded"/>).
    /// </summary>
    public ProposeResult ProposeOrForward(IReadOnlyList<ReadOnlyMemory<byte>> commands)
    {
        if (_role == RaftRole.Leader || _leader.IsNone || _leader == Id)
        {
            return Propose(commands);
        }
        var entries = new Entry[commands.Count];
        for (int i = 0; i < entries.Length; i++)
        {
            // Term and index are the leader's to assign.
            entries[i] = new Entry(0, 0, EntryType.Normal, commands[i]);
        }
        _messages.Add(new Message { Type = MessageType.Propose, From = Id, To = _leader, Term = _term, Entries = entries });
        return new ProposeResult(ProposeStatus.Forwarded, 0, _term, _leader);
    }

    /// <summary>
    /// Proposes adding, promoting or removing one member. One change at a time, taking effect as
    /// soon as it is in the log (see docs/consensus.md).
    /// </summary>
    public ProposeResult ProposeMembershipChange(MembershipChange change)
    {
        if (RefuseProposal() is { } refusal)
        {
            return refusal;
        }
        // The next change waits until the previous one commits, and until this leader has
        // committed an entry of its own term (the fix to single-server changes, Ongaro 2015).
        if (_log.LastMembershipIndex > _log.Committed || _log.Committed < _termStartIndex)
        {
            return new ProposeResult(ProposeStatus.MembershipChangeInProgress, 0, _term, Id, "a membership change is in flight");
        }
        var next = _membership.Apply(change, out string? error);
        if (error is not null)
        {
            return new ProposeResult(ProposeStatus.Invalid, 0, _term, Id, error);
        }
        ulong index = _log.LastIndex + 1;
        AppendAsLeader([new Entry(_term, index, EntryType.Membership, next.Encode())]);
        return new ProposeResult(ProposeStatus.Accepted, index, _term, Id);
    }

    /// <summary>Starts an election now (skipping the timeout).</summary>
    public void Campaign() => StartElection(leaderTransfer: false);

    /// <summary>The transport could not reach <paramref name="peer"/>: stop pipelining to it.</summary>
    public void ReportUnreachable(NodeId peer)
    {
        if (_role == RaftRole.Leader && _progress.TryGetValue(peer, out var pr) && pr.State == ReplicationState.Replicate)
        {
            pr.BecomeProbe();
        }
    }

    public RaftStatus GetStatus()
    {
        var peers = _progress
            .OrderBy(p => p.Key)
            .Select(p => new PeerProgress(p.Key, _membership.IsVoter(p.Key), p.Value.Match, p.Value.Next, p.Value.State.ToString(), p.Value.RecentActive || p.Value.ActiveLastWindow))
            .ToList();
        return new RaftStatus(Id, _role, _term, _vote, _leader, _log.Committed, _log.Applied, _log.FirstIndex, _log.LastIndex, _membership, peers);
    }

    private ProposeResult? RefuseProposal()
    {
        if (_role != RaftRole.Leader)
        {
            return new ProposeResult(ProposeStatus.NotLeader, 0, _term, _leader);
        }
        if (!_transferee.IsNone)
        {
            return new ProposeResult(ProposeStatus.TransferInProgress, 0, _term, Id);
        }
        return null;
    }

    /// <summary>
    /// Settles the message's term against ours. Returns false when the message is to be dropped.
    /// </summary>
    private bool StepTerm(Message m)
    {
        if (m.Term > _term)
        {
            if (m.Type is MessageType.Vote or MessageType.PreVote)
            {
                // Leader lease: while we hear from a leader, a disruptive candidate is ignored
                // (check-quorum makes that leader step down if it lost its quorum).
                // A node just (re)started may have promised a lease it no longer remembers: it waits too.
                bool inLease = _options.CheckQuorum
                    && (!_leader.IsNone || _ticksSinceStart < _options.ElectionTicks)
                    && _electionElapsed < _options.ElectionTicks;
                if (inLease && !m.LeaderTransfer)
                {
                    return false;
                }
            }
            if (m.Type == MessageType.PreVote || (m.Type == MessageType.PreVoteResponse && !m.Reject))
            {
                // A pre-vote changes nobody's term; a granted pre-vote carries the term we would campaign in.
                return true;
            }
            var leader = m.Type is MessageType.Append or MessageType.Heartbeat or MessageType.Commit or MessageType.Durable or MessageType.SnapshotChunk ? m.From : NodeId.None;
            BecomeFollower(m.Term, leader);
            return true;
        }
        if (m.Term < _term)
        {
            if ((_options.CheckQuorum || _options.PreVote) && m.Type is MessageType.Append or MessageType.Heartbeat or MessageType.Commit or MessageType.Durable)
            {
                // A stale leader (cut off, then healed): tell it our term so it steps down,
                // otherwise with pre-vote it could block elections forever.
                _messagesAfterPersist.Add(new Message { Type = MessageType.AppendResponse, From = Id, To = m.From, Term = _term });
            }
            else if (m.Type == MessageType.PreVote)
            {
                _messagesAfterPersist.Add(new Message { Type = MessageType.PreVoteResponse, From = Id, To = m.From, Term = _term, Reject = true });
            }
            return false;
        }
        return true;
    }
}
