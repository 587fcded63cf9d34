using Colony.Core;

namespace Colony.Consensus;

public sealed partial class RaftNode
{
    private List<Message> _messages = [];
    private List<Message> _messagesAfterPersist = [];
    private List<ReadState> _readStates = [];
    private List<ulong> _droppedReads = [];
    private Snapshot? _pendingInstall;
    private HardState _prevHardState;
    private SoftState _prevSoftState;
    private bool _readyInFlight;

    /// <summary>True if <see cref="GetReady"/> has work to hand out (always false while a Ready is in flight).</summary>
    public bool HasReady()
    {
        if (_readyInFlight)
        {
            return false;
        }
        FlushAppends();
        return CurrentSoftState != _prevSoftState
            || CurrentHardState != _prevHardState
            || _log.HasUnstableEntries
            || _pendingInstall is not null
            || _log.HasEntriesToApply
            || _messages.Count > 0
            || _messagesAfterPersist.Count > 0
            || _readStates.Count > 0
            || _droppedReads.Count > 0;
    }

    /// <summary>Hands out the pending work. Exactly one Ready may be in flight; finish it with <see cref="Advance"/>.</summary>
    public Ready GetReady()
    {
        Invariant.Check(!_readyInFlight, "GetReady while a Ready is in flight");
        FlushAppends();
        if (_log.HasUnstableEntries)
        {
            // Leaves once this cycle's entries are flushed.
            AnnounceDurable(_log.LastIndex);
        }
        var soft = CurrentSoftState;
        var hard = CurrentHardState;
        var ready = new Ready
        {
            SoftState = soft != _prevSoftState ? soft : null,
            HardState = hard != _prevHardState ? hard : null,
            TermOrVoteChanged = hard.Term != _prevHardState.Term || hard.Vote != _prevHardState.Vote,
            Entries = _log.HasUnstableEntries ? _log.UnstableEntries() : [],
            Snapshot = _pendingInstall,
            CommittedEntries = _log.HasEntriesToApply ? _log.EntriesToApply(_options.MaxApplyBytes) : [],
            Messages = TakeList(ref _messages),
            MessagesAfterPersist = TakeList(ref _messagesAfterPersist),
            ReadStates = TakeList(ref _readStates),
            DroppedReads = TakeList(ref _droppedReads),
        };
        _prevSoftState = soft;
        _prevHardState = hard;
        _pendingInstall = null;
        _readyInFlight = true;
        return ready;
    }

    /// <summary>The driver has persisted, sent and applied everything in <paramref name="ready"/>.</summary>
    public void Advance(Ready ready)
    {
        Invariant.Check(_readyInFlight, "Advance without a Ready in flight");
        _readyInFlight = false;
        if (ready.Snapshot is { } snapshot)
        {
            _log.AppliedTo(Math.Min(snapshot.Metadata.Index, _log.Committed));
        }
        if (ready.Entries.Count > 0)
        {
            var last = ready.Entries[^1];
            _log.StableTo(last.Index, last.Term);
        }
        if (ready.CommittedEntries.Count > 0)
        {
            _log.AppliedTo(ready.CommittedEntries[^1].Index);
        }
        if (_role == RaftRole.Leader)
        {
            // Our own durable log counts toward the quorum only now (§10.2.1: the leader writes in parallel).
            MaybeCommit();
        }
        else
        {
            CommitFromDurableCopies();
        }
    }

    private static List<T> TakeList<T>(ref List<T> list)
    {
        if (list.Count == 0)
        {
            return [];
        }
        var taken = list;
        list = [];
        return taken;
    }
}
