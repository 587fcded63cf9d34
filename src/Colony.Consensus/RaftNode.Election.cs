using Colony.Core;

namespace Colony.Consensus;

public sealed partial class RaftNode
{
    private readonly Dictionary<NodeId, bool> _votes = [];

    private void TickElection()
    {
        _electionElapsed++;
        if (IsPromotable && _electionElapsed >= _randomizedElectionTimeout)
        {
            _electionElapsed = 0;
            StartElection(leaderTransfer: false);
        }
    }

    private void ResetElectionTimer()
    {
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        // Randomized in [E, 2E) so that split votes resolve (§5.2).
        _randomizedElectionTimeout = _options.ElectionTicks + _random.Next(_options.ElectionTicks);
    }

    private void StartElection(bool leaderTransfer)
    {
        if (_role == RaftRole.Leader || !IsPromotable)
        {
            return;
        }
        if (_options.PreVote && !leaderTransfer)
        {
            BecomePreCandidate();
        }
        else
        {
            BecomeCandidate();
        }
        bool pre = _role == RaftRole.PreCandidate;
        ulong term = pre ? _term + 1 : _term;
        if (RecordVote(Id, granted: true) == VoteResult.Won)
        {
            OnElectionWon();
            return;
        }
        foreach (var voter in _membership.Voters)
        {
            if (voter == Id)
            {
                continue;
            }
            var request = new Message
            {
                Type = pre ? MessageType.PreVote : MessageType.Vote,
                From = Id,
                To = voter,
                Term = term,
                Index = _log.LastIndex,
                LogTerm = _log.LastTerm,
                LeaderTransfer = leaderTransfer,
            };
            // A real vote request follows our own persisted vote for ourselves; a pre-vote changes nothing.
            if (pre)
            {
                _messages.Add(request);
            }
            else
            {
                _messagesAfterPersist.Add(request);
            }
        }
    }

    private void OnElectionWon()
    {
        if (_role == RaftRole.PreCandidate)
        {
            BecomeCandidate();
            // Re-run as a real election (the single-voter case wins at once).
            if (RecordVote(Id, granted: true) == VoteResult.Won)
            {
                BecomeLeader();
                return;
            }
            foreach (var voter in _membership.Voters)
            {
                if (voter != Id)
                {
                    _messagesAfterPersist.Add(new Message
                    {
                        Type = MessageType.Vote,
                        From = Id,
                        To = voter,
                        Term = _term,
                        Index = _log.LastIndex,
                        LogTerm = _log.LastTerm,
                    });
                }
            }
            return;
        }
        BecomeLeader();
    }

    private void HandleVoteRequest(Message m)
    {
        bool pre = m.Type == MessageType.PreVote;
        bool canVote = _vote == m.From
            || (_vote.IsNone && _leader.IsNone)
            || (pre && m.Term > _term)
            || (!pre && _options.Bugs.HasFlag(InjectedBugs.DoubleVote));
        var responseType = pre ? MessageType.PreVoteResponse : MessageType.VoteResponse;
        if (canVote && _log.IsUpToDate(m.Index, m.LogTerm))
        {
            // The grant carries the requested term, so a pre-candidate counts it (§9.6).
            _messagesAfterPersist.Add(new Message { Type = responseType, From = Id, To = m.From, Term = m.Term });
            if (!pre)
            {
                _electionElapsed = 0;
                _vote = m.From;
            }
        }
        else
        {
            _messagesAfterPersist.Add(new Message { Type = responseType, From = Id, To = m.From, Term = _term, Reject = true });
        }
    }

    private void HandleVoteResponse(Message m)
    {
        bool pre = m.Type == MessageType.PreVoteResponse;
        if ((pre && _role != RaftRole.PreCandidate) || (!pre && _role != RaftRole.Candidate))
        {
            return;
        }
        if (m.Reject ? m.Term != _term : m.Term != (pre ? _term + 1 : _term))
        {
            return; // an answer to an earlier campaign
        }
        switch (RecordVote(m.From, !m.Reject))
        {
            case VoteResult.Won:
                OnElectionWon();
                break;
            case VoteResult.Lost:
                BecomeFollower(_term, NodeId.None);
                break;
        }
    }

    private VoteResult RecordVote(NodeId from, bool granted)
    {
        if (!_membership.IsVoter(from))
        {
            return VoteResult.Pending;
        }
        _votes.TryAdd(from, granted);
        int yes = 0, no = 0;
        foreach (var (voter, vote) in _votes)
        {
            if (!_membership.IsVoter(voter))
            {
                continue;
            }
            if (vote)
            {
                yes++;
            }
            else
            {
                no++;
            }
        }
        int quorum = _membership.Quorum;
        if (yes >= quorum)
        {
            return VoteResult.Won;
        }
        return no > _membership.Voters.Count - quorum ? VoteResult.Lost : VoteResult.Pending;
    }

    private void BecomeFollower(ulong term, NodeId leader)
    {
        LeaveLeadership();
        if (term != _term)
        {
            _term = term;
            _vote = NodeId.None;
        }
        _role = RaftRole.Follower;
        _leader = leader;
        ResetElectionTimer();
    }

    private void BecomePreCandidate()
    {
        LeaveLeadership();
        // A pre-candidate keeps its term and vote: pre-votes are not binding.
        _role = RaftRole.PreCandidate;
        _leader = NodeId.None;
        _votes.Clear();
        ResetElectionTimer();
    }

    private void BecomeCandidate()
    {
        LeaveLeadership();
        _term++;
        _vote = Id;
        _role = RaftRole.Candidate;
        _leader = NodeId.None;
        _votes.Clear();
        ResetElectionTimer();
    }

    private void BecomeLeader()
    {
        Invariant.Check(_role == RaftRole.Candidate, "only a candidate becomes leader");
        _role = RaftRole.Leader;
        _leader = Id;
        _leaderTicks = 0;
        Array.Clear(_roundSentAt);
        _transferee = NodeId.None;
        _leaseForfeited = false;
        _durableAnnounced = 0;
        ResetElectionTimer();
        _progress.Clear();
        SyncProgressWithMembership();
        foreach (var pr in _progress.Values)
        {
            pr.RecentActive = true;
        }
        _uncommittedBytes = 0;
        // Commit the log of earlier terms by committing an entry of our own (§5.4.2).
        _termStartIndex = _log.LastIndex + 1;
        AppendAsLeader([new Entry(_term, _termStartIndex, EntryType.Noop, ReadOnlyMemory<byte>.Empty)]);
    }

    private void LeaveLeadership()
    {
        if (_role != RaftRole.Leader)
        {
            return;
        }
        _progress.Clear();
        _transferee = NodeId.None;
        DropPendingReads();
    }

    private enum VoteResult
    {
        Pending,
        Won,
        Lost,
    }
}
