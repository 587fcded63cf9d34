using Colony.Core;

namespace Colony.Consensus;

public sealed partial class RaftNode
{
    /// <summary>A larger advertised snapshot is refused outright: a sanity bound, not a tuning knob.</summary>
    private const long MaxSnapshotBytes = 4L << 30;

    private Snapshot _snapshot;
    private IncomingSnapshot? _incoming;

    /// <summary>A snapshot being received chunk by chunk.</summary>
    private sealed class IncomingSnapshot(SnapshotMetadata metadata, long size)
    {
        public SnapshotMetadata Metadata { get; } = metadata;

        public byte[] Buffer { get; } = new byte[size];

        public long Received { get; set; }

        public bool Matches(SnapshotMetadata other) => other.Index == Metadata.Index && other.Term == Metadata.Term;
    }

    /// <summary>
    /// The state machine snapshotted itself at <paramref name="index"/> (≤ applied): keep the
    /// snapshot for slow followers and drop the log before it. Returns the snapshot to persist, or
    /// null if a newer one (possibly one received but not yet installed) already covers the index.
    /// </summary>
    public Snapshot? Compact(ulong index, ReadOnlyMemory<byte> data)
    {
        Invariant.Check(index <= _log.Applied, "snapshot at {0} is past the applied index", index);
        if (index <= _snapshot.Metadata.Index)
        {
            return null;
        }
        var metadata = new SnapshotMetadata(index, _log.TermOrZero(index), _log.MembershipAt(index));
        Invariant.Check(metadata.Term != 0 || index == 0, "no term for snapshot index {0}", index);
        _snapshot = new Snapshot(metadata, data);
        _log.CompactTo(index);
        return _snapshot;
    }

    private void SendSnapshotChunk(NodeId to, Progress pr)
    {
        if (_snapshot.IsEmpty)
        {
            return; // nothing to send yet; the follower will be probed again
        }
        if (pr.State != ReplicationState.Snapshot || pr.PendingSnapshot != _snapshot.Metadata.Index)
        {
            pr.BecomeSnapshot(_snapshot.Metadata.Index);
        }
        long size = _snapshot.Data.Length;
        int length = (int)Math.Min(_options.SnapshotChunkBytes, size - pr.SnapshotOffset);
        _messages.Add(new Message
        {
            Type = MessageType.SnapshotChunk,
            From = Id,
            To = to,
            Term = _term,
            Snapshot = _snapshot.Metadata,
            SnapshotOffset = pr.SnapshotOffset,
            SnapshotSize = size,
            SnapshotData = _snapshot.Data.Slice((int)pr.SnapshotOffset, length),
        });
        pr.ChunkInFlight = true;
    }

    private void HandleSnapshotChunkResponse(Message m, Progress pr)
    {
        if (pr.State != ReplicationState.Snapshot || m.Index != pr.PendingSnapshot)
        {
            return;
        }
        if (pr.PendingSnapshot != _snapshot.Metadata.Index)
        {
            // We compacted again mid-transfer: send the newer snapshot from the start.
            SendSnapshotChunk(m.From, pr);
            return;
        }
        pr.SnapshotStallHeartbeats = 0;
        pr.SnapshotOffset = Math.Clamp(m.SnapshotOffset, 0, _snapshot.Data.Length);
        pr.ChunkInFlight = false;
        if (pr.SnapshotOffset < _snapshot.Data.Length)
        {
            SendSnapshotChunk(m.From, pr);
        }
    }

    /// <summary>Called every heartbeat: resend a lost chunk, or fall back to probing if the transfer is stuck.</summary>
    private void TickSnapshotTransfers()
    {
        foreach (var (id, pr) in _progress)
        {
            if (pr.State != ReplicationState.Snapshot)
            {
                continue;
            }
            pr.SnapshotStallHeartbeats++;
            if (pr.SnapshotStallHeartbeats >= _options.ElectionTicks)
            {
                // Probing finds out whether the follower installed it; if not, the transfer restarts.
                pr.BecomeProbe();
                _appendsPending = true;
            }
            else if (pr.SnapshotStallHeartbeats % 2 == 0 && pr.SnapshotOffset < _snapshot.Data.Length)
            {
                SendSnapshotChunk(id, pr);
            }
        }
    }

    private void HandleSnapshotChunk(Message m)
    {
        var metadata = m.Snapshot;
        if (metadata is null || m.SnapshotSize < 0 || m.SnapshotSize > MaxSnapshotBytes || m.SnapshotOffset < 0)
        {
            return;
        }
        if (metadata.Index <= _log.Committed)
        {
            // We already have everything it covers.
            Respond(m.From, _log.Committed);
            return;
        }
        if (m.SnapshotOffset == 0 && (_incoming is null || !_incoming.Matches(metadata) || _incoming.Received != 0))
        {
            _incoming = new IncomingSnapshot(metadata, m.SnapshotSize);
        }
        var incoming = _incoming;
        if (incoming is null || !incoming.Matches(metadata) || incoming.Buffer.Length != m.SnapshotSize
            || m.SnapshotOffset != incoming.Received || m.SnapshotData.Length > m.SnapshotSize - incoming.Received)
        {
            // Out of order or a different snapshot: tell the leader where we are.
            long expected = incoming is not null && incoming.Matches(metadata) ? incoming.Received : 0;
            _messages.Add(ChunkResponse(m.From, metadata.Index, expected));
            return;
        }
        m.SnapshotData.Span.CopyTo(incoming.Buffer.AsSpan((int)incoming.Received));
        incoming.Received += m.SnapshotData.Length;
        if (incoming.Received < incoming.Buffer.Length)
        {
            _messages.Add(ChunkResponse(m.From, metadata.Index, incoming.Received));
            return;
        }
        _incoming = null;
        InstallSnapshot(new Snapshot(metadata, incoming.Buffer));
        Respond(m.From, metadata.Index);
    }

    private Message ChunkResponse(NodeId to, ulong snapshotIndex, long expectedOffset) => new()
    {
        Type = MessageType.SnapshotChunkResponse,
        From = Id,
        To = to,
        Term = _term,
        Index = snapshotIndex,
        SnapshotOffset = expectedOffset,
    };

    private void InstallSnapshot(Snapshot snapshot)
    {
        var metadata = snapshot.Metadata;
        if (_log.MatchTerm(metadata.Index, metadata.Term))
        {
            // Our log already holds that entry: the snapshot only tells us it is committed.
            _log.CommitTo(metadata.Index);
            return;
        }
        _log.Restore(metadata);
        _snapshot = snapshot;
        _pendingInstall = snapshot;
        OnLogMembershipMaybeChanged();
    }
}
