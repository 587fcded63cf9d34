using Colony.Core;

namespace Colony.Consensus;

/// <summary>
/// A message between Raft peers. One flat shape for every <see cref="MessageType"/>, as in etcd's raft:
/// fields a type does not use stay at their defaults.
/// </summary>
public sealed record Message
{
    public MessageType Type { get; init; }

    public NodeId From { get; init; }

    public NodeId To { get; init; }

    /// <summary>The sender's term (for a pre-vote request: the term it would campaign in).</summary>
    public ulong Term { get; init; }

    /// <summary>Append: the term of the entry before Entries. Vote: the candidate's last log term. Reject: hint term.</summary>
    public ulong LogTerm { get; init; }

    /// <summary>Append: the index of the entry before Entries. Vote: the candidate's last log index. Response: see the type.</summary>
    public ulong Index { get; init; }

    public Entry[] Entries { get; init; } = [];

    /// <summary>The sender's commit index (Append, Heartbeat).</summary>
    public ulong Commit { get; init; }

    public bool Reject { get; init; }

    /// <summary>On a rejected Append: the receiver's best guess of where the logs may match (fast back-tracking).</summary>
    public ulong RejectHint { get; init; }

    /// <summary>Vote requested on a leader's behalf (leadership transfer): voters skip the leader-lease check.</summary>
    public bool LeaderTransfer { get; init; }

    /// <summary>Heartbeat / ReadIndex round: ties a response to its read-index request.</summary>
    public ulong Context { get; init; }

    /// <summary>SnapshotChunk: metadata of the snapshot being sent.</summary>
    public SnapshotMetadata? Snapshot { get; init; }

    /// <summary>SnapshotChunk: where this chunk starts. SnapshotChunkResponse: the next offset expected.</summary>
    public long SnapshotOffset { get; init; }

    /// <summary>SnapshotChunk: the total size of the snapshot data.</summary>
    public long SnapshotSize { get; init; }

    public ReadOnlyMemory<byte> SnapshotData { get; init; }

    public override string ToString() => Type switch
    {
        MessageType.Append => $"{From}->{To} {Type} t{Term} prev={LogTerm}/{Index} n={Entries.Length} commit={Commit}",
        MessageType.AppendResponse => $"{From}->{To} {Type} t{Term} idx={Index}{(Reject ? $" reject hint={RejectHint}/{LogTerm}" : "")}",
        MessageType.SnapshotChunk => $"{From}->{To} {Type} t{Term} snap={Snapshot?.Index} off={SnapshotOffset}/{SnapshotSize}",
        MessageType.Commit => $"{From}->{To} {Type} t{Term} commit={Commit}",
        MessageType.Durable => $"{From}->{To} {Type} t{Term} durable={Index}",
        _ => $"{From}->{To} {Type} t{Term} idx={Index} logterm={LogTerm}{(Reject ? " reject" : "")} ctx={Context}",
    };
}
