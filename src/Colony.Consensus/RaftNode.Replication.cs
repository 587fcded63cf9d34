using Colony.Core;

namespace Colony.Consensus;

public sealed partial class RaftNode
{
    /// <summary>Heartbeat answers without replication progress before a streaming follower is probed again.</summary>
    private int StalledHeartbeatsBeforeProbe => Math.Max(2, _options.ElectionTicks / _options.HeartbeatTicks / 2);

    private NodeId _transferee;
    private bool _leaseForfeited;
    private ulong _termStartIndex;
    private long _uncommittedBytes;
    private bool _appendsPending;

    /// <summary>Heartbeat rounds sent so far (across terms, so acks can never be confused).</summary>
    private ulong _round;

    /// <summary>Ticks since this node became leader: the clock for leases.</summary>
    private long _leaderTicks;

    /// <summary>When each recent round was sent, for the lease: (round, leader tick), indexed by round modulo the length.</summary>
    private readonly (ulong Round, long Tick)[] _roundSentAt = new (ulong, long)[64];

    private void TickLeader()
    {
        _leaderTicks++;
        _heartbeatElapsed++;
        _electionElapsed++;
        if (_electionElapsed >= _options.ElectionTicks)
        {
            _electionElapsed = 0;
            if (_options.CheckQuorum && !CheckQuorumActive())
            {
                // We cannot reach a quorum: stop acting as leader so clients go elsewhere.
                BecomeFollower(_term, NodeId.None);
                return;
            }
            // A transfer that did not finish within an election timeout is abandoned.
            _transferee = NodeId.None;
        }
        if (_heartbeatElapsed >= _options.HeartbeatTicks)
        {
            _heartbeatElapsed = 0;
            BroadcastHeartbeat();
            TickSnapshotTransfers();
        }
    }

    private bool CheckQuorumActive()
    {
        int active = 0;
        foreach (var voter in _membership.Voters)
        {
            if (voter == Id || (_progress.TryGetValue(voter, out var pr) && pr.RecentActive))
            {
                active++;
            }
        }
        foreach (var pr in _progress.Values)
        {
            pr.ActiveLastWindow = pr.RecentActive;
            pr.RecentActive = false;
        }
        return active >= _membership.Quorum;
    }

    private void StepLeader(Message m)
    {
        if (!_progress.TryGetValue(m.From, out var pr))
        {
            if (m.Type == MessageType.ReadIndex)
            {
                HandleReadIndexRequest(m);
            }
            return; // not (or no longer) a member: its forwarded proposals are dropped too
        }
        pr.RecentActive = true;
        switch (m.Type)
        {
            case MessageType.AppendResponse:
                HandleAppendResponse(m, pr);
                break;
            case MessageType.HeartbeatResponse:
                pr.ProbeSent = false;
                if (pr.Match < _log.LastIndex)
                {
                    _appendsPending = true;
                    if (pr.State == ReplicationState.Replicate && pr.NoteStalledHeartbeat() >= StalledHeartbeatsBeforeProbe)
                    {
                        // The follower answers heartbeats but its match has not moved for a while:
                        // appends were lost (or it needs entries we compacted). Probe from its match.
                        pr.BecomeProbe();
                    }
                }
                if (m.Context > pr.RoundAcked && m.Context <= _round)
                {
                    pr.RoundAcked = m.Context;
                    ReleaseConfirmedReads();
                }
                break;
            case MessageType.SnapshotChunkResponse:
                HandleSnapshotChunkResponse(m, pr);
                break;
            case MessageType.ReadIndex:
                HandleReadIndexRequest(m);
                break;
            case MessageType.Propose:
                HandleForwardedProposal(m);
                break;
        }
    }

    private void HandleForwardedProposal(Message m)
    {
        if (m.Entries.Length == 0)
        {
            return;
        }
        var commands = new ReadOnlyMemory<byte>[m.Entries.Length];
        for (int i = 0; i < commands.Length; i++)
        {
            if (m.Entries[i].Type != EntryType.Normal)
            {
                return; // only the leader itself proposes membership changes
            }
            commands[i] = m.Entries[i].Data;
        }
        // Accepted even while overloaded or handing over: a forwarder pipelines a client's writes
        // and relies on them being dropped only when this node stops leading (it then sees the
        // leader change and closes the client's connection), never one in the middle of a stream.
        // The forwarder bounds what it has in flight instead.
        AppendProposals(commands);
    }

    private void HandleAppendResponse(Message m, Progress pr)
    {
        if (m.Reject)
        {
            ulong nextProbe = m.RejectHint;
            if (m.LogTerm > 0)
            {
                // Skip every entry of ours whose term cannot match the follower's (fast back-tracking).
                nextProbe = _log.FindConflictByTerm(m.RejectHint, m.LogTerm).Index;
            }
            if (pr.State == ReplicationState.Replicate && m.Index > m.RejectHint && _log.MatchTerm(m.RejectHint, m.LogTerm))
            {
                // A gap, not a conflict: the follower's log is a prefix of ours ending at the hint,
                // and the appends in between are probably still in flight (reordered). Take the hint
                // as an acknowledgement and keep streaming; a real loss shows up as a stall.
                if (pr.MaybeUpdate(m.RejectHint))
                {
                    pr.Inflights.FreeUpTo(m.RejectHint);
                    MaybeCommit();
                }
                return;
            }
            if (pr.MaybeDecreaseTo(m.Index, nextProbe))
            {
                if (pr.State == ReplicationState.Replicate)
                {
                    pr.BecomeProbe();
                }
                _appendsPending = true;
            }
            return;
        }
        bool updated = pr.MaybeUpdate(m.Index);
        switch (pr.State)
        {
            case ReplicationState.Probe:
                pr.BecomeReplicate();
                break;
            case ReplicationState.Snapshot when pr.Match >= pr.PendingSnapshot:
                pr.BecomeProbe();
                pr.BecomeReplicate();
                break;
            case ReplicationState.Replicate:
                pr.Inflights.FreeUpTo(m.Index);
                break;
        }
        _appendsPending = true;
        if (updated)
        {
            MaybeCommit();
            if (m.From == _transferee && pr.Match == _log.LastIndex)
            {
                SendTimeoutNow(m.From);
            }
        }
    }

    private void AppendAsLeader(Entry[] entries)
    {
        _log.Append(entries);
        foreach (var entry in entries)
        {
            _uncommittedBytes += entry.SizeBytes;
        }
        OnLogMembershipMaybeChanged();
        _appendsPending = true;
        // A lone voter commits as soon as its own write is durable (in Advance).
    }

    /// <summary>Sends what each follower is owed. Deferred to Ready time so one cycle's proposals travel together.</summary>
    private void FlushAppends()
    {
        if (_role == RaftRole.Leader && _readRoundPending)
        {
            _readRoundPending = false;
            BroadcastHeartbeat();
        }
        if (_role != RaftRole.Leader || !_appendsPending)
        {
            return;
        }
        _appendsPending = false;
        foreach (var (id, pr) in _progress)
        {
            while (!pr.IsPaused)
            {
                ulong owed = Math.Min(_log.Committed, pr.Match);
                bool mustSendCommit = (pr.SentCommit < owed && !CommitsItself(pr, owed)) || (pr.State == ReplicationState.Probe && pr.Match < _log.LastIndex);
                if (pr.Next > _log.LastIndex && !mustSendCommit)
                {
                    break;
                }
                if (pr.Next > _log.LastIndex && pr.State == ReplicationState.Replicate)
                {
                    SendCommit(id, pr);
                    break;
                }
                if (!SendAppend(id, pr))
                {
                    break;
                }
                if (pr.Next > _log.LastIndex)
                {
                    break;
                }
            }
        }
    }

    /// <summary>Sends one Append (or starts/continues a snapshot). Returns false if nothing could be sent.</summary>
    private bool SendAppend(NodeId to, Progress pr)
    {
        ulong prevIndex = pr.Next - 1;
        if (!_log.TryGetTerm(prevIndex, out ulong prevTerm))
        {
            // We compacted what this follower needs: send the snapshot instead.
            StartSnapshotTransfer(to, pr);
            return false;
        }
        var entries = _log.Slice(pr.Next, _log.LastIndex, _options.MaxAppendBytes);
        long bytes = 0;
        foreach (var entry in entries)
        {
            bytes += entry.SizeBytes;
        }
        ulong commit = Math.Min(_log.Committed, prevIndex + (ulong)entries.Length);
        _messages.Add(new Message
        {
            Type = MessageType.Append,
            From = Id,
            To = to,
            Term = _term,
            Index = prevIndex,
            LogTerm = prevTerm,
            Entries = entries,
            Commit = commit,
        });
        pr.SentCommit = Math.Max(pr.SentCommit, commit);
        pr.OnAppendSent(prevIndex + (ulong)entries.Length, bytes, entries.Length);
        return true;
    }

    /// <summary>Tells a follower that has every entry sent to it the new commit index, as far as it is known to hold.</summary>
    private void SendCommit(NodeId to, Progress pr)
    {
        ulong commit = Math.Min(_log.Committed, pr.Match);
        _messages.Add(new Message { Type = MessageType.Commit, From = Id, To = to, Term = _term, Commit = commit });
        pr.SentCommit = Math.Max(pr.SentCommit, commit);
    }

    private bool TryGetRoundSentTick(ulong round, out long tick)
    {
        var (recorded, at) = _roundSentAt[round % (ulong)_roundSentAt.Length];
        tick = at;
        return recorded == round;
    }

    private void BroadcastHeartbeat()
    {
        _round++;
        _roundSentAt[_round % (ulong)_roundSentAt.Length] = (_round, _leaderTicks);
        foreach (var (id, pr) in _progress)
        {
            // Never tell a follower to commit past what it is known to hold.
            ulong commit = Math.Min(pr.Match, _log.Committed);
            _messages.Add(new Message
            {
                Type = MessageType.Heartbeat,
                From = Id,
                To = id,
                Term = _term,
                Commit = commit,
                Context = _round,
            });
            pr.SentCommit = Math.Max(pr.SentCommit, commit);
        }
    }

    /// <summary>Advances the commit index to what a quorum of voters holds, if it is of this term (§5.4.2).</summary>
    private void MaybeCommit()
    {
        ulong candidate;
        if (_options.Bugs.HasFlag(InjectedBugs.CommitWithoutMajority))
        {
            candidate = _log.Stabled;
        }
        else
        {
            Span<ulong> matches = stackalloc ulong[_membership.Voters.Count];
            int n = 0;
            foreach (var voter in _membership.Voters)
            {
                matches[n++] = voter == Id ? _log.Stabled : _progress.TryGetValue(voter, out var pr) ? pr.Match : 0;
            }
            candidate = Quorum.CommittedIndex(matches);
        }
        if (candidate <= _log.Committed || _log.TermOrZero(candidate) != _term)
        {
            return;
        }
        ulong before = _log.Committed;
        _log.CommitTo(candidate);
        for (ulong i = before + 1; i <= candidate; i++)
        {
            _uncommittedBytes -= _log.At(i).SizeBytes;
        }
        _uncommittedBytes = Math.Max(_uncommittedBytes, 0);
        _appendsPending = true;
        OnCommitAdvanced();
    }

    private void OnCommitAdvanced()
    {
        ServeReadsWaitingForTermCommit();
        // A leader that removed itself leads until that removal commits, then steps aside (§4.2.2).
        if (!_membership.IsVoter(Id) && _log.Committed >= _log.LastMembershipIndex)
        {
            BecomeFollower(_term, NodeId.None);
        }
    }

    /// <summary>Hands leadership to a voter: bring it up to date, then tell it to campaign at once.</summary>
    public bool TransferLeadership(NodeId target)
    {
        if (_role != RaftRole.Leader || target == Id || !_membership.IsVoter(target) || !_progress.TryGetValue(target, out var pr))
        {
            return false;
        }
        if (_transferee == target)
        {
            return true;
        }
        _transferee = target;
        _electionElapsed = 0;
        if (pr.Match == _log.LastIndex)
        {
            SendTimeoutNow(target);
        }
        else
        {
            _appendsPending = true;
        }
        return true;
    }

    private void SendTimeoutNow(NodeId to)
    {
        // The target campaigns past the voters' lease, so from now on another leader may be elected
        // while our lease looks valid: reads must be confirmed by a heartbeat round again, for the
        // rest of this term (a TimeoutNow may arrive after the transfer was given up).
        _leaseForfeited = true;
        _messages.Add(new Message { Type = MessageType.TimeoutNow, From = Id, To = to, Term = _term });
    }

    /// <summary>Recomputes the membership after the log changed, and (on the leader) tracks exactly its peers.</summary>
    private void OnLogMembershipMaybeChanged()
    {
        var current = _log.Membership;
        if (ReferenceEquals(current, _membership))
        {
            return;
        }
        _membership = current;
        if (_role == RaftRole.Leader)
        {
            SyncProgressWithMembership();
            if (!_transferee.IsNone && !_membership.IsVoter(_transferee))
            {
                _transferee = NodeId.None;
            }
        }
    }

    private void SyncProgressWithMembership()
    {
        foreach (var id in _membership.All)
        {
            if (id != Id && !_progress.ContainsKey(id))
            {
                _progress[id] = new Progress(_options.MaxInflightAppends, _options.MaxInflightBytes)
                {
                    Next = _log.LastIndex + 1,
                    RecentActive = true,
                };
            }
        }
        foreach (var id in _progress.Keys.ToList())
        {
            if (!_membership.Contains(id))
            {
                _progress.Remove(id);
            }
        }
    }
}
