namespace Colony.Node.Peers;

/// <summary>An authenticated peer broke the protocol after the handshake (a spoofed sender, a message for another node).</summary>
internal sealed class PeerProtocolException(string message) : Exception(message);
