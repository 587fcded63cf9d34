using Colony.Core;

namespace Colony.Consensus;

public sealed partial class RaftNode
{
    private void StepFollower(Message m)
    {
        switch (m.Type)
        {
            case MessageType.Append:
                HearFromLeader(m.From);
                HandleAppend(m);
                break;
            case MessageType.Heartbeat:
                HearFromLeader(m.From);
                CommitAsTold(m);
                _messages.Add(new Message { Type = MessageType.HeartbeatResponse, From = Id, To = m.From, Term = _term, Context = m.Context });
                break;
            case MessageType.Commit:
                HearFromLeader(m.From);
                CommitAsTold(m);
                break;
            case MessageType.Durable:
                HearFromLeader(m.From);
                HandleDurableNotice(m);
                break;
            case MessageType.SnapshotChunk:
                HearFromLeader(m.From);
                HandleSnapshotChunk(m);
                break;
            case MessageType.TimeoutNow:
                // Our leader asks us to take over: campaign now, skipping pre-vote and the lease.
                StartElection(leaderTransfer: true);
                break;
            case MessageType.ReadIndexResponse:
                _readStates.Add(new ReadState(m.Context, m.Index));
                break;
        }
    }

    private void StepCandidate(Message m)
    {
        switch (m.Type)
        {
            case MessageType.Append:
            case MessageType.Heartbeat:
            case MessageType.Commit:
            case MessageType.Durable:
            case MessageType.SnapshotChunk:
                // Someone won this term: follow it.
                BecomeFollower(_term, m.From);
                StepFollower(m);
                break;
        }
    }

    /// <summary>A heartbeat's or a commit notice's index. The leader caps it at what it knows we hold; cap again at what we do hold.</summary>
    private void CommitAsTold(Message m) => _log.CommitTo(Math.Min(m.Commit, _log.LastIndex));

    private void HearFromLeader(NodeId leader)
    {
        _electionElapsed = 0;
        _leader = leader;
    }

    private void HandleAppend(Message m)
    {
        if (m.Index < _log.Committed)
        {
            // Everything up to our commit index is settled; tell the leader where we are.
            Respond(m.From, _log.Committed);
            return;
        }
        if (_log.TryAppendFromLeader(m.Index, m.LogTerm, m.Commit, m.Entries, out ulong lastNew))
        {
            OnLogMembershipMaybeChanged();
            NoteMatchedLeader(lastNew);
            Respond(m.From, lastNew);
            return;
        }
        var (hintIndex, hintTerm) = _log.FindConflictByTerm(Math.Min(m.Index, _log.LastIndex), m.LogTerm);
        _messagesAfterPersist.Add(new Message
        {
            Type = MessageType.AppendResponse,
            From = Id,
            To = m.From,
            Term = _term,
            Index = m.Index,
            Reject = true,
            RejectHint = hintIndex,
            LogTerm = hintTerm,
        });
    }

    /// <summary>An acknowledgement vouches for entries up to <paramref name="index"/>: it leaves only once they are durable.</summary>
    private void Respond(NodeId leader, ulong index) =>
        _messagesAfterPersist.Add(new Message { Type = MessageType.AppendResponse, From = Id, To = leader, Term = _term, Index = index });
}
