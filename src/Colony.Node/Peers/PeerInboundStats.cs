namespace Colony.Node.Peers;

/// <summary>Counters of a <see cref="PeerInbound"/> since it was created.</summary>
public sealed record PeerInboundStats(
    int ActiveConnections,
    long Authenticated,
    long HandshakesRejected,
    long ProtocolViolations,
    long RefusedOverLimit,
    long MessagesReceived);
