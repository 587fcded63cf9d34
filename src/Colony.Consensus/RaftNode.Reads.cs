using Colony.Core;

namespace Colony.Consensus;

public sealed partial class RaftNode
{
    /// <summary>A read waiting for the leader to confirm it still leads (ReadIndex, §6.4).</summary>
    private readonly record struct PendingRead(NodeId From, ulong RequestId, ulong Index, ulong Context);

    private readonly Queue<PendingRead> _pendingReads = new();
    private readonly List<(NodeId From, ulong RequestId)> _readsAwaitingTermCommit = [];
    private bool _readRoundPending;

    /// <summary>
    /// Asks for a linearizable read point; the answer comes as a <see cref="ReadState"/> (or a dropped
    /// read) in a later Ready. A follower forwards the request to its leader.
    /// </summary>
    public void ReadIndex(ulong requestId)
    {
        if (_role == RaftRole.Leader)
        {
            AcceptRead(Id, requestId);
            return;
        }
        if (_leader.IsNone)
        {
            _droppedReads.Add(requestId);
            return;
        }
        _messages.Add(new Message { Type = MessageType.ReadIndex, From = Id, To = _leader, Term = _term, Context = requestId });
    }

    private void HandleReadIndexRequest(Message m) => AcceptRead(m.From, m.Context);

    private void AcceptRead(NodeId from, ulong requestId)
    {
        // Until an entry of this term commits, our commit index may lag what earlier leaders committed.
        if (_log.Committed < _termStartIndex)
        {
            _readsAwaitingTermCommit.Add((from, requestId));
            return;
        }
        if (_membership.Voters.Count == 1 && _membership.IsVoter(Id))
        {
            AnswerRead(from, requestId, ReadPoint);
            return;
        }
        if (_options.ReadMode == ReadMode.Lease && HoldsLease())
        {
            AnswerRead(from, requestId, ReadPoint);
            return;
        }
        // Confirmed by acks of the next heartbeat round, which leaves after this read was queued.
        _pendingReads.Enqueue(new PendingRead(from, requestId, ReadPoint, _round + 1));
        // One heartbeat round per Ready confirms every read queued in that cycle.
        _readRoundPending = true;
    }

    /// <summary>Answers, in order, every queued read that a quorum has confirmed.</summary>
    private void ReleaseConfirmedReads()
    {
        while (_pendingReads.TryPeek(out var read) && IsReadConfirmed(read.Context))
        {
            _pendingReads.Dequeue();
            AnswerRead(read.From, read.RequestId, read.Index);
        }
    }

    private bool IsReadConfirmed(ulong context)
    {
        int acks = 0;
        foreach (var voter in _membership.Voters)
        {
            if (voter == Id || (_progress.TryGetValue(voter, out var pr) && pr.RoundAcked >= context))
            {
                acks++;
            }
        }
        return acks >= _membership.Quorum;
    }

    /// <summary>
    /// True while no other leader can exist: a quorum acknowledged a heartbeat round sent less than
    /// the lease ago. Voters ignore candidates for an election timeout after hearing from us, so the
    /// lease is that timeout shrunk by the clock drift we tolerate (docs/consensus.md).
    /// </summary>
    private bool HoldsLease()
    {
        if (_leaseForfeited)
        {
            return false;
        }
        Span<ulong> acked = stackalloc ulong[_membership.Voters.Count];
        int n = 0;
        foreach (var voter in _membership.Voters)
        {
            acked[n++] = voter == Id ? _round : _progress.TryGetValue(voter, out var pr) ? pr.RoundAcked : 0;
        }
        ulong quorumRound = Quorum.CommittedIndex(acked);
        if (quorumRound == 0 || !TryGetRoundSentTick(quorumRound, out long sentAt))
        {
            return false;
        }
        long leaseTicks = (long)Math.Floor(_options.ElectionTicks / (1 + _options.LeaseClockDrift)) - 1;
        return _leaderTicks - sentAt < leaseTicks;
    }

    private void ServeReadsWaitingForTermCommit()
    {
        if (_readsAwaitingTermCommit.Count == 0 || _log.Committed < _termStartIndex)
        {
            return;
        }
        var waiting = _readsAwaitingTermCommit.ToArray();
        _readsAwaitingTermCommit.Clear();
        foreach (var (from, requestId) in waiting)
        {
            AcceptRead(from, requestId);
        }
    }

    private void AnswerRead(NodeId from, ulong requestId, ulong index)
    {
        if (from == Id)
        {
            _readStates.Add(new ReadState(requestId, index));
        }
        else
        {
            _messages.Add(new Message { Type = MessageType.ReadIndexResponse, From = Id, To = from, Term = _term, Index = index, Context = requestId });
        }
    }

    /// <summary>Leadership is gone: local reads are failed; forwarded ones time out at their follower.</summary>
    private void DropPendingReads()
    {
        foreach (var read in _pendingReads)
        {
            if (read.From == Id)
            {
                _droppedReads.Add(read.RequestId);
            }
        }
        foreach (var (from, requestId) in _readsAwaitingTermCommit)
        {
            if (from == Id)
            {
                _droppedReads.Add(requestId);
            }
        }
        _pendingReads.Clear();
        _readsAwaitingTermCommit.Clear();
        _readRoundPending = false;
        Invariant.Check(_pendingReads.Count == 0, "reads survive leadership");
    }
}
