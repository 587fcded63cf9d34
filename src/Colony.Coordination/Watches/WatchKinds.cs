namespace Colony.Coordination.Watches;

/// <summary>
/// The kinds of watch one connection can hold on one path. A connection may hold several kinds on
/// the same path at once (say a one-shot data watch and a persistent watch); each behaves as if alone.
/// </summary>
[Flags]
public enum WatchKinds
{
    None = 0,

    /// <summary>One-shot, set by getData and by exists (whether or not the node exists).</summary>
    Data = 1,

    /// <summary>One-shot, set by getChildren.</summary>
    Child = 2,

    /// <summary>Set by addWatch(Persistent): every event on the path, until removed.</summary>
    Persistent = 4,

    /// <summary>Set by addWatch(PersistentRecursive): every event but NodeChildrenChanged on the path and its descendants.</summary>
    PersistentRecursive = 8,

    OneShot = Data | Child,

    /// <summary>
    /// What ZooKeeper keeps in its data-watch table, the one <c>wchs</c>, <c>wchc</c> and <c>wchp</c> list:
    /// getData's and exists' watches and both addWatch modes. A getChildren watch is not in it.
    /// </summary>
    DataTable = Data | Persistent | PersistentRecursive,

    /// <summary>What ZooKeeper keeps in its child-watch table: getChildren's watches and persistent (not recursive) ones.</summary>
    ChildTable = Child | Persistent,
    All = Data | Child | Persistent | PersistentRecursive,
}

public static class WatchKindsExtensions
{
    /// <summary>The watch kind addWatch sets for <paramref name="mode"/>.</summary>
    public static WatchKinds ToWatchKind(this AddWatchMode mode) => mode switch
    {
        AddWatchMode.Persistent => WatchKinds.Persistent,
        AddWatchMode.PersistentRecursive => WatchKinds.PersistentRecursive,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "not an addWatch mode"),
    };

    /// <summary>
    /// The kinds removeWatches and checkWatches name by <paramref name="type"/>: Children and Data name only
    /// the one-shot kinds; Any names everything on the path, persistent watches included.
    /// </summary>
    public static WatchKinds ToWatchKinds(this WatcherType type) => type switch
    {
        WatcherType.Children => WatchKinds.Child,
        WatcherType.Data => WatchKinds.Data,
        WatcherType.Any => WatchKinds.All,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a watcher type"),
    };

    /// <summary>
    /// The "watch removed" events a client's watchers receive after removing <paramref name="removed"/>:
    /// DataWatchRemoved, ChildWatchRemoved, PersistentWatchRemoved, in that order. ZooKeeper's server
    /// only answers Ok or NoWatcher; the client library raises these events itself.
    /// </summary>
    public static IEnumerable<EventType> RemovalEvents(this WatchKinds removed)
    {
        if ((removed & WatchKinds.Data) != 0)
        {
            yield return EventType.DataWatchRemoved;
        }

        if ((removed & WatchKinds.Child) != 0)
        {
            yield return EventType.ChildWatchRemoved;
        }

        if ((removed & (WatchKinds.Persistent | WatchKinds.PersistentRecursive)) != 0)
        {
            yield return EventType.PersistentWatchRemoved;
        }
    }

    internal static bool IsSingleKind(this WatchKinds kind) =>
        kind is WatchKinds.Data or WatchKinds.Child or WatchKinds.Persistent or WatchKinds.PersistentRecursive;
}
