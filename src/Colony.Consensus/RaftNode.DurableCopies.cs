namespace Colony.Consensus;

/// <summary>
/// Commitment seen from a follower when two copies are a quorum (three voters, or two). The leader
/// tells its voting followers how far its own log is durable as soon as its flush ends (a
/// <see cref="MessageType.Durable"/> notice). A follower whose own copy of those entries is durable
/// too, and matches the leader's, knows that a quorum holds them and commits at once, instead of
/// acknowledging and waiting for the leader's commit notice: a write through a follower then takes
/// as many hops as one through the leader (docs/consensus.md, "Durable notices").
/// </summary>
public sealed partial class RaftNode
{
    /// <summary>The highest index this node, as leader of <see cref="_term"/>, has said is durable in its log.</summary>
    private ulong _durableAnnounced;

    /// <summary>Follower: the term the two figures below belong to (one leader per term).</summary>
    private ulong _leaderCopyTerm;

    /// <summary>Follower: the highest index up to which our log is known to match this term's leader's.</summary>
    private ulong _matchedLeader;

    /// <summary>Follower: how far this term's leader said its own log is durable.</summary>
    private ulong _leaderDurable;

    /// <summary>
    /// The index a linearizable read must wait for. A follower may commit what the leader has said is
    /// durable before the leader itself knows it committed, and answer a write there: a read the
    /// leader serves afterwards must see it.
    /// </summary>
    private ulong ReadPoint =>
        _options.Bugs.HasFlag(InjectedBugs.DurableReadPointIgnored) ? _log.Committed : Math.Max(_log.Committed, _durableAnnounced);

    /// <summary>
    /// Leader, when a cycle's entries go out to be flushed: the notices that leave once they are
    /// durable. Only while no membership change is in flight, so every entry they cover is under a
    /// configuration in which the leader and one follower are a quorum.
    /// </summary>
    private void AnnounceDurable(ulong durableIndex)
    {
        bool twoCopiesAreQuorum = _membership.Quorum == 2 && _log.LastMembershipIndex <= _log.Committed;
        if (_role != RaftRole.Leader
            || !(twoCopiesAreQuorum || _options.Bugs.HasFlag(InjectedBugs.DurableNoticeAnyQuorum))
            || !_membership.IsVoter(Id)
            || durableIndex <= _durableAnnounced)
        {
            return;
        }
        _durableAnnounced = durableIndex;
        var outbox = _options.Bugs.HasFlag(InjectedBugs.DurableNoticeBeforeFlush) ? _messages : _messagesAfterPersist;
        foreach (var (id, pr) in _progress)
        {
            if (pr.State == ReplicationState.Replicate && _membership.IsVoter(id))
            {
                outbox.Add(new Message { Type = MessageType.Durable, From = Id, To = id, Term = _term, Index = durableIndex });
                pr.SentDurable = durableIndex;
            }
        }
    }

    /// <summary>
    /// True if the follower will commit up to <paramref name="index"/> by itself: it acknowledged the
    /// entries, so its copy is durable and matches ours, and it was told ours is durable. Its commit
    /// notice would say nothing new.
    /// </summary>
    private bool CommitsItself(Progress pr, ulong index) =>
        index <= pr.SentDurable && index <= pr.Match && _log.TermOrZero(index) == _term;

    private void ForgetLeaderCopy()
    {
        if (_leaderCopyTerm != _term)
        {
            _leaderCopyTerm = _term;
            _matchedLeader = 0;
            _leaderDurable = 0;
        }
    }

    /// <summary>Follower: an append from this term's leader made our log match its log up to <paramref name="index"/>.</summary>
    private void NoteMatchedLeader(ulong index)
    {
        ForgetLeaderCopy();
        _matchedLeader = Math.Max(_matchedLeader, index);
    }

    private void HandleDurableNotice(Message m)
    {
        ForgetLeaderCopy();
        _leaderDurable = Math.Max(_leaderDurable, m.Index);
        CommitFromDurableCopies();
    }

    /// <summary>
    /// Follower: commits what both the leader and we hold durably, if it is of this term (an older
    /// term's entry is committed only through one of this term, §5.4.2). Called when a notice comes
    /// and when our own flush ends.
    /// </summary>
    private void CommitFromDurableCopies()
    {
        if (_role != RaftRole.Follower || _leaderCopyTerm != _term)
        {
            return;
        }
        ulong matched = _options.Bugs.HasFlag(InjectedBugs.DurableCommitUnmatched) ? ulong.MaxValue : _matchedLeader;
        ulong candidate = Math.Min(Math.Min(_leaderDurable, matched), _log.Stabled);
        if (candidate > _log.Committed && (_log.TermOrZero(candidate) == _term || _options.Bugs.HasFlag(InjectedBugs.DurableCommitAnyTerm)))
        {
            _log.CommitTo(candidate);
        }
    }
}
