namespace Colony.Node.Peers;

/// <summary>Where the connection to a peer stands.</summary>
public enum PeerConnectionState : byte
{
    /// <summary>Connecting and authenticating; messages queue up meanwhile.</summary>
    Connecting = 1,

    /// <summary>Authenticated: messages flow.</summary>
    Connected = 2,

    /// <summary>The last attempt failed: pausing before the next one, and dropping messages meanwhile.</summary>
    Backoff = 3,
}
