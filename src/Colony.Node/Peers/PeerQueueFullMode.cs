namespace Colony.Node.Peers;

/// <summary>What a peer queue does with a message that does not fit.</summary>
public enum PeerQueueFullMode : byte
{
    /// <summary>Drop the oldest queued messages: newer ones (heartbeats, appends) supersede them.</summary>
    DropOldest = 1,

    /// <summary>Drop the message being sent.</summary>
    DropNewest = 2,
}
