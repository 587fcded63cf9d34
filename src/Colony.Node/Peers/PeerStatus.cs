using System.Net;
using Colony.Core;

namespace Colony.Node.Peers;

/// <summary>A snapshot of one peer's outbound connection and queue, with counters since it was added.</summary>
public sealed record PeerStatus(
    NodeId Id,
    EndPoint EndPoint,
    PeerConnectionState State,
    int QueuedMessages,
    long QueuedBytes,
    long SentMessages,
    long SentBytes,
    long DroppedMessages,
    long Connections,
    int ConsecutiveFailures);
