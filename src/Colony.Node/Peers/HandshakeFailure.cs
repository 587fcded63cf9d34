namespace Colony.Node.Peers;

/// <summary>
/// Why a peer handshake failed. Values 1 to 4 travel in the handshake's status byte, to tell the other
/// side why it is being turned away: never renumber them. The others are only ever local.
/// </summary>
internal enum HandshakeFailure : byte
{
    /// <summary>The peer speaks another version of the peer protocol.</summary>
    UnsupportedVersion = 1,

    /// <summary>The peer belongs to another cluster.</summary>
    WrongCluster = 2,

    /// <summary>The peer is not the node that was expected (a stale address), or claims an impossible id.</summary>
    WrongNode = 3,

    /// <summary>A proof did not verify: the two sides hold different secrets.</summary>
    BadProof = 4,

    /// <summary>The bytes were not a handshake at all.</summary>
    Malformed = 64,

    /// <summary>The connection closed before the handshake finished.</summary>
    ConnectionClosed = 65,

    /// <summary>The handshake took longer than <see cref="PeerTransportOptions.HandshakeTimeout"/>.</summary>
    TimedOut = 66,

    /// <summary>The TLS handshake failed: no certificate, or one the cluster's CA did not sign.</summary>
    TlsRefused = 67,
}
