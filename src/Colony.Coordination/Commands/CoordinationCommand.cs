namespace Colony.Coordination.Commands;

/// <summary>
/// A coordination operation with everything nondeterministic stamped in by the node that proposed it:
/// which node, the client's session and request number, the wall time and the session's authenticated
/// ids. Apply reads no clock and no connection state, so it computes the same result everywhere.
/// </summary>
/// <param name="OriginNode">The node that proposed it; only that node answers the client.</param>
/// <param name="SessionId">The client's session; 0 for the cluster's own operations (cleanup, session expiry).</param>
/// <param name="Cxid">The client's request number (xid), echoed in the reply.</param>
/// <param name="TimeMs">Wall time at the proposer, ms since the Unix epoch: becomes ctime and mtime.</param>
/// <param name="Auth">The session's authenticated ids, in the order it added them.</param>
public sealed record CoordinationCommand(
    ulong OriginNode,
    long SessionId,
    int Cxid,
    long TimeMs,
    IReadOnlyList<Id> Auth,
    Op Operation)
{
    /// <summary>A command with no client: the leader's own decisions.</summary>
    public static CoordinationCommand FromCluster(ulong originNode, long timeMs, Op operation) =>
        new(originNode, 0, 0, timeMs, [], operation);

    public byte[] Encode() => CoordinationCommandCodec.Encode(this);

    public static CoordinationCommand Decode(ReadOnlySpan<byte> data) => CoordinationCommandCodec.Decode(data);
}
