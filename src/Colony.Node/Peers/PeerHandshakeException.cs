namespace Colony.Node.Peers;

/// <summary>A peer handshake that failed, and why.</summary>
internal sealed class PeerHandshakeException(HandshakeFailure failure, string message) : Exception(message)
{
    public HandshakeFailure Failure { get; } = failure;
}
