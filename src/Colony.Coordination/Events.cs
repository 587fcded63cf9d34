namespace Colony.Coordination;

/// <summary>What a watch notification reports (Watcher.Event.EventType). The values go on the wire.</summary>
public enum EventType
{
    None = -1,
    NodeCreated = 1,
    NodeDeleted = 2,
    NodeDataChanged = 3,
    NodeChildrenChanged = 4,
    DataWatchRemoved = 5,
    ChildWatchRemoved = 6,
    PersistentWatchRemoved = 7,
}

/// <summary>A session's state as notifications report it (Watcher.Event.KeeperState). The values go on the wire.</summary>
public enum KeeperState
{
    Disconnected = 0,
    SyncConnected = 3,
    AuthFailed = 4,
    ConnectedReadOnly = 5,
    SaslAuthenticated = 6,
    Closed = 7,
    Expired = -112,
}

/// <summary>The kind of watch that addWatch sets.</summary>
public enum AddWatchMode
{
    Persistent = 0,
    PersistentRecursive = 1,
}

/// <summary>Which watches checkWatches and removeWatches name (Watcher.WatcherType).</summary>
public enum WatcherType
{
    Children = 1,
    Data = 2,
    Any = 3,
}
