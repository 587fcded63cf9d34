using Colony.Core;

namespace Colony.Consensus;

public sealed partial class RaftNode
{
    /// <summary>A larger advertised snapshot is refused outright: a sanity bound, not a tuning knob.</summary>
    private const long MaxSnapshotBytes = 4L << 30;

    private Snapshot _snapshot;
    private IncomingSnapshot? _incoming;

    /// <summary>A snapshot being received chunk by chunk.</summary>
    private sealed class IncomingSnapshot(SnapshotMetadata metadata, long size, ulong leaderTerm)
    {
        public SnapshotMetadata Metadata { get; } = metadata;

        /// <summary>The term of the leader sending it.</summary>
        public ulong LeaderTerm { get; } = leaderTerm;

        public byte[] Buffer { get; } = new byte[size];

        /// <summary>The contiguous bytes received from offset 0.</summary>
        public long Received { get; set; }

        /// <summary>
        /// Chunks that arrived ahead of <see cref="Received"/> (reordered in flight), already in
        /// <see cref="Buffer"/>: start offset → end. Taken into <see cref="Received"/> once the gap before them fills.
        /// </summary>
        public SortedList<long, long> Ahead { get; } = [];

        /// <summary>Copies a chunk in; false if it falls outside the snapshot or too far ahead to keep.</summary>
        public bool TryAccept(long offset, ReadOnlySpan<byte> data)
        {
            long end = offset + data.Length;
            if (offset < 0 || end > Buffer.Length)
            {
                return false;
            }
            if (end <= Received)
            {
                return true; // a duplicate of what we have
            }
            if (offset > Received)
            {
                if (!Ahead.ContainsKey(offset) && Ahead.Count >= MaxChunksAhead)
                {
                    return false;
                }
                data.CopyTo(Buffer.AsSpan((int)offset));
                Ahead[offset] = Math.Max(end, Ahead.GetValueOrDefault(offset));
                return true;
            }
            data[(int)(Received - offset)..].CopyTo(Buffer.AsSpan((int)Received));
            Received = end;
            while (Ahead.Count > 0 && Ahead.Keys[0] <= Received)
            {
                Received = Math.Max(Received, Ahead.Values[0]);
                Ahead.RemoveAt(0);
            }
            return true;
        }

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
        // Keep a tail of entries so that a follower just behind the snapshot catches up from the
        // log instead of needing the snapshot itself.
        ulong retain = (ulong)_options.RetainedEntriesAfterCompaction;
        _log.CompactTo(index > retain ? index - retain : 0);
        return _snapshot;
    }

    /// <summary>Chunks in flight per follower: a small window, so a transfer is not one round trip per chunk.</summary>
    private const int SnapshotChunksInFlight = 4;

    /// <summary>
    /// Chunks a follower keeps ahead of the gap it waits to fill: the window, and a resent window,
    /// with room to spare. Only the bookkeeping grows; the data goes into the snapshot's own buffer.
    /// </summary>
    private const int MaxChunksAhead = 4 * SnapshotChunksInFlight;

    /// <summary>Heartbeats without an acknowledgement before the unacknowledged chunks are sent again.</summary>
    private const int SnapshotResendHeartbeats = 3;

    /// <summary>The follower needs entries we compacted: start a snapshot transfer (or continue the one under way).</summary>
    private void StartSnapshotTransfer(NodeId to, Progress pr)
    {
        if (pr.State != ReplicationState.Snapshot)
        {
            if (_snapshot.IsEmpty)
            {
                return; // nothing to send yet; the follower will be probed again
            }
            pr.BecomeSnapshot(_snapshot);
        }
        SendSnapshotWindow(to, pr);
    }

    /// <summary>Sends chunks from the last acknowledged offset up to the window's end.</summary>
    private void SendSnapshotWindow(NodeId to, Progress pr)
    {
        var snapshot = pr.SendingSnapshot!;
        long size = snapshot.Data.Length;
        long windowEnd = pr.SnapshotOffset + (long)SnapshotChunksInFlight * _options.SnapshotChunkBytes;
        do
        {
            long offset = pr.SnapshotSentOffset;
            int length = (int)Math.Min(_options.SnapshotChunkBytes, size - offset);
            _messages.Add(new Message
            {
                Type = MessageType.SnapshotChunk,
                From = Id,
                To = to,
                Term = _term,
                Snapshot = snapshot.Metadata,
                SnapshotOffset = offset,
                SnapshotSize = size,
                SnapshotData = snapshot.Data.Slice((int)offset, length),
            });
            pr.SnapshotSentOffset = offset + length;
        }
        while (pr.SnapshotSentOffset < windowEnd && pr.SnapshotSentOffset < size);
    }

    private void HandleSnapshotChunkResponse(Message m, Progress pr)
    {
        if (pr.State != ReplicationState.Snapshot || m.Index != pr.PendingSnapshot)
        {
            return;
        }
        long size = pr.SendingSnapshot!.Data.Length;
        if (m.SnapshotOffset <= pr.SnapshotOffset || m.SnapshotOffset > size)
        {
            // A duplicate or a stale answer. (A follower that restarted and wants offset 0 again is
            // caught by the stall timer, which restarts the transfer.)
            return;
        }
        pr.SnapshotOffset = m.SnapshotOffset;
        pr.SnapshotSentOffset = Math.Max(pr.SnapshotSentOffset, pr.SnapshotOffset);
        pr.SnapshotStallHeartbeats = 0;
        if (pr.SnapshotSentOffset < size)
        {
            SendSnapshotWindow(m.From, pr);
        }
    }

    /// <summary>Called every heartbeat: resend unacknowledged chunks, or fall back to probing if the transfer is stuck.</summary>
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
                // Probing finds out whether the follower installed it; if not, a new transfer starts.
                pr.BecomeProbe();
                _appendsPending = true;
            }
            else if (pr.SnapshotStallHeartbeats % SnapshotResendHeartbeats == 0)
            {
                pr.SnapshotSentOffset = pr.SnapshotOffset; // go back to the first unacknowledged chunk
                SendSnapshotWindow(id, pr);
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
        bool sameTransfer = _incoming is not null && _incoming.Matches(metadata) && _incoming.Buffer.Length == m.SnapshotSize && _incoming.LeaderTerm == m.Term;
        if (!sameTransfer)
        {
            // Chunks are only put together from one leader: another may have written the same state
            // in other bytes. A chunk of an older transfer, delayed in flight, leaves the newer one be.
            if (_incoming is not null && m.SnapshotOffset != 0 && m.Term <= _incoming.LeaderTerm && metadata.Index <= _incoming.Metadata.Index)
            {
                _messages.Add(ChunkResponse(m.From, metadata.Index, 0));
                return;
            }
            // A new transfer. Any chunk may start it, not only the first, which can arrive after others.
            _incoming = new IncomingSnapshot(metadata, m.SnapshotSize, m.Term);
        }
        var incoming = _incoming!;
        if (!incoming.TryAccept(m.SnapshotOffset, m.SnapshotData.Span))
        {
            // A chunk we cannot place: tell the leader where we are.
            _messages.Add(ChunkResponse(m.From, metadata.Index, incoming.Received));
            return;
        }
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
