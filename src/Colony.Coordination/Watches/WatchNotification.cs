namespace Colony.Coordination.Watches;

/// <summary>One watch event to send to one connection: ZooKeeper's WatcherEvent (its state is always SyncConnected).</summary>
public readonly record struct WatchNotification(long WatcherId, EventType Type, string Path);
