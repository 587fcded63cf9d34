using System.Runtime.InteropServices;
using Colony.Core;

namespace Colony.Coordination.Watches;

/// <summary>
/// The watches held by the connections attached to this node, keyed by an opaque watcher id (the connection).
/// Watches are soft state: they are not replicated, and clients re-register them after reconnecting.
/// </summary>
/// <remarks>
/// Single-threaded: the node calls it from one loop. <see cref="Trigger"/> and <see cref="SetWatches"/> return
/// their notifications in a buffer the manager reuses, so read (or copy) them before the next call.
/// </remarks>
public sealed class WatchManager
{
    // Watch sets come and go with one-shot watches; keep a few small ones instead of reallocating them.
    private const int PoolLimit = 64;
    private const int PooledCapacityLimit = 16;

    private static readonly Comparison<WatchNotification> ByWatcher = static (a, b) => a.WatcherId.CompareTo(b.WatcherId);

    private readonly Dictionary<string, Dictionary<long, WatchKinds>> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<long, WatchKinds>>.AlternateLookup<ReadOnlySpan<char>> _byPathSpan;
    private readonly Dictionary<long, HashSet<string>> _byWatcher = [];
    private readonly Stack<Dictionary<long, WatchKinds>> _freeWatcherMaps = new();
    private readonly Stack<HashSet<string>> _freePathSets = new();

    private readonly List<WatchNotification> _notifications = [];
    private readonly List<(long WatcherId, WatchKinds Remaining)> _fired = [];
    private readonly HashSet<long> _notified = [];

    // Counts (connection, path) pairs holding a recursive watch: while it is zero, a trigger looks at its own path only.
    private int _recursiveCount;
    private int _watchCount;
    // Entries in ZooKeeper's two watch tables (see TableWatchCount), kept as kinds change: mntr reads it on every scrape.
    private int _tableCount;

    public WatchManager() => _byPathSpan = _byPath.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Connections, paths and (connection, path) pairs, as <c>wchs</c> reports them.</summary>
    public WatchSummary Summary => new(_byWatcher.Count, _byPath.Count, _watchCount);

    /// <summary>(Connection, path) pairs holding a persistent-recursive watch.</summary>
    public int RecursiveWatchCount => _recursiveCount;

    /// <summary>
    /// Registers one kind of watch. Exists registers <see cref="WatchKinds.Data"/> whether or not the node
    /// exists, as ZooKeeper does. Returns false if the connection already held that kind on the path.
    /// </summary>
    public bool Add(string path, WatchKinds kind, long watcherId)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!kind.IsSingleKind())
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "name exactly one kind of watch");
        }

        ref var watchers = ref CollectionsMarshal.GetValueRefOrAddDefault(_byPath, path, out _);
        watchers ??= RentWatcherMap();
        ref var kinds = ref CollectionsMarshal.GetValueRefOrAddDefault(watchers, watcherId, out bool watchedBefore);
        if ((kinds & kind) != 0)
        {
            return false;
        }

        _tableCount += TableEntries(kinds | kind) - TableEntries(kinds);
        kinds |= kind;
        if (!watchedBefore)
        {
            IndexPath(watcherId, path);
        }

        if (kind == WatchKinds.PersistentRecursive)
        {
            _recursiveCount++;
        }

        return true;
    }

    /// <summary>The kinds of watch <paramref name="watcherId"/> holds on exactly <paramref name="path"/>.</summary>
    public WatchKinds KindsOf(string path, long watcherId) =>
        _byPath.TryGetValue(path, out var watchers) && watchers.TryGetValue(watcherId, out var kinds) ? kinds : WatchKinds.None;

    /// <summary>
    /// The notifications one event of the data tree causes, one per connection at most, ascending by watcher id.
    /// One-shot watches that fire are removed.
    /// </summary>
    /// <remarks>
    /// On <paramref name="path"/> itself: NodeCreated and NodeDataChanged fire data watches, NodeDeleted fires data
    /// and child watches, NodeChildrenChanged fires child watches; persistent watches fire for all four and
    /// recursive ones for all but NodeChildrenChanged. On an ancestor, only recursive watches fire, again for all
    /// but NodeChildrenChanged. Any other event type is not a tree event and is rejected.
    /// </remarks>
    public ReadOnlySpan<WatchNotification> Trigger(string path, EventType type)
    {
        ArgumentNullException.ThrowIfNull(path);
        var firing = KindsFiredOnPath(type);
        _notifications.Clear();
        if (_byPath.Count == 0)
        {
            return default;
        }

        if (_byPath.TryGetValue(path, out var watchers))
        {
            FireOnPath(path, watchers, type, firing);
        }

        if (_recursiveCount > 0 && type != EventType.NodeChildrenChanged)
        {
            FireRecursiveOnAncestors(path, type);
        }

        var notifications = CollectionsMarshal.AsSpan(_notifications);
        if (notifications.Length > 1)
        {
            notifications.Sort(ByWatcher);
        }

        return notifications;
    }

    /// <summary>
    /// Whether <paramref name="watcherId"/> holds a watch of <paramref name="type"/> on exactly <paramref name="path"/>
    /// (checkWatches): Data means a data or exists watch, Children a child watch, Any any watch, persistent included.
    /// </summary>
    public bool Has(string path, WatcherType type, long watcherId) => (KindsOf(path, watcherId) & type.ToWatchKinds()) != 0;

    /// <summary>
    /// Removes the watches of <paramref name="type"/> that <paramref name="watcherId"/> holds on exactly
    /// <paramref name="path"/> (removeWatches) and returns the kinds removed: <see cref="WatchKinds.None"/> means
    /// there was nothing to remove, which ZooKeeper answers with NoWatcher. See
    /// <see cref="WatchKindsExtensions.RemovalEvents"/> for the events the client raises.
    /// </summary>
    public WatchKinds Remove(string path, WatcherType type, long watcherId)
    {
        var named = type.ToWatchKinds();
        if (!_byPath.TryGetValue(path, out var watchers) || !watchers.TryGetValue(watcherId, out var kinds))
        {
            return WatchKinds.None;
        }

        var removed = kinds & named;
        if (removed == WatchKinds.None)
        {
            return WatchKinds.None;
        }

        if ((removed & WatchKinds.PersistentRecursive) != 0)
        {
            _recursiveCount--;
        }

        var remaining = kinds & ~named;
        _tableCount += TableEntries(remaining) - TableEntries(kinds);
        if (remaining != WatchKinds.None)
        {
            watchers[watcherId] = remaining;
        }
        else
        {
            watchers.Remove(watcherId);
            UnindexPath(watcherId, path);
            ForgetPathIfUnwatched(path, watchers);
        }

        return removed;
    }

    /// <summary>Drops every watch of a connection that went away; returns how many paths it watched.</summary>
    public int RemoveWatcher(long watcherId)
    {
        if (!_byWatcher.Remove(watcherId, out var paths))
        {
            return 0;
        }

        foreach (var path in paths)
        {
            var watchers = _byPath[path];
            watchers.Remove(watcherId, out var kinds);
            _tableCount -= TableEntries(kinds);
            if ((kinds & WatchKinds.PersistentRecursive) != 0)
            {
                _recursiveCount--;
            }

            ForgetPathIfUnwatched(path, watchers);
        }

        int count = paths.Count;
        _watchCount -= count;
        ReturnPathSet(paths);
        return count;
    }

    /// <summary>
    /// Re-registers a reconnecting client's watches (setWatches and setWatches2). A one-shot watch whose node
    /// changed after <paramref name="relativeZxid"/>, the last zxid the client saw, fires at once instead of being
    /// registered: a data watch with NodeDeleted if the node is gone or NodeDataChanged if its mzxid is newer; an
    /// exists watch with NodeCreated if the node now exists; a child watch with NodeDeleted if the node is gone or
    /// NodeChildrenChanged if its pzxid is newer. Persistent and recursive watches are registered as they are.
    /// Returns the notifications to send, in request order.
    /// </summary>
    public ReadOnlySpan<WatchNotification> SetWatches(
        long relativeZxid,
        IReadOnlyList<string> dataPaths,
        IReadOnlyList<string> existPaths,
        IReadOnlyList<string> childPaths,
        IReadOnlyList<string> persistentPaths,
        IReadOnlyList<string> recursivePaths,
        long watcherId,
        IWatchTreeView tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        _notifications.Clear();
        for (int i = 0; i < dataPaths.Count; i++)
        {
            string path = dataPaths[i];
            if (!tree.TryGetStat(path, out var stat))
            {
                _notifications.Add(new(watcherId, EventType.NodeDeleted, path));
            }
            else if (stat.Mzxid > relativeZxid)
            {
                _notifications.Add(new(watcherId, EventType.NodeDataChanged, path));
            }
            else
            {
                Add(path, WatchKinds.Data, watcherId);
            }
        }

        for (int i = 0; i < existPaths.Count; i++)
        {
            string path = existPaths[i];
            if (tree.TryGetStat(path, out _))
            {
                _notifications.Add(new(watcherId, EventType.NodeCreated, path));
            }
            else
            {
                Add(path, WatchKinds.Data, watcherId);
            }
        }

        for (int i = 0; i < childPaths.Count; i++)
        {
            string path = childPaths[i];
            if (!tree.TryGetStat(path, out var stat))
            {
                _notifications.Add(new(watcherId, EventType.NodeDeleted, path));
            }
            else if (stat.Pzxid > relativeZxid)
            {
                _notifications.Add(new(watcherId, EventType.NodeChildrenChanged, path));
            }
            else
            {
                Add(path, WatchKinds.Child, watcherId);
            }
        }

        for (int i = 0; i < persistentPaths.Count; i++)
        {
            Add(persistentPaths[i], WatchKinds.Persistent, watcherId);
        }

        for (int i = 0; i < recursivePaths.Count; i++)
        {
            Add(recursivePaths[i], WatchKinds.PersistentRecursive, watcherId);
        }

        return CollectionsMarshal.AsSpan(_notifications);
    }

    /// <summary>
    /// The summary ZooKeeper's <c>wchs</c> gives: connections, paths and (connection, path) pairs holding a watch of
    /// <paramref name="kinds"/>. It walks every watch, as ZooKeeper's own listings do.
    /// </summary>
    public WatchSummary SummaryOf(WatchKinds kinds)
    {
        var connections = new HashSet<long>();
        int paths = 0, pairs = 0;
        foreach (var (_, watchers) in _byPath)
        {
            int before = pairs;
            foreach (var (watcherId, held) in watchers)
            {
                if ((held & kinds) != 0)
                {
                    pairs++;
                    connections.Add(watcherId);
                }
            }
            paths += pairs > before ? 1 : 0;
        }

        return new(connections.Count, paths, pairs);
    }

    /// <summary>
    /// The watch count ZooKeeper's <c>mntr</c> gives: the pairs in its data-watch table plus those in its child-watch
    /// table, so a connection with both kinds of watch on a path counts twice.
    /// </summary>
    public int TableWatchCount => _tableCount;

    /// <summary>Every watched path (ordinal order) with its connections (ascending), for <c>wchp</c>; only watches of <paramref name="kinds"/>.</summary>
    public IReadOnlyList<PathWatchers> DumpByPath(WatchKinds kinds = WatchKinds.All)
    {
        var dump = new List<PathWatchers>(_byPath.Count);
        foreach (var (path, watchers) in _byPath)
        {
            var ids = watchers.Where(w => (w.Value & kinds) != 0).Select(w => w.Key).ToArray();
            if (ids.Length == 0)
            {
                continue;
            }
            Array.Sort(ids);
            dump.Add(new PathWatchers(path, ids));
        }

        dump.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        return dump;
    }

    /// <summary>Every watching connection (ascending) with its paths (ordinal order), for <c>wchc</c>; only watches of <paramref name="kinds"/>.</summary>
    public IReadOnlyList<WatcherPaths> DumpByWatcher(WatchKinds kinds = WatchKinds.All)
    {
        var dump = new List<WatcherPaths>(_byWatcher.Count);
        foreach (var (watcherId, paths) in _byWatcher)
        {
            var sorted = paths.Where(path => (_byPath[path][watcherId] & kinds) != 0).ToArray();
            if (sorted.Length == 0)
            {
                continue;
            }
            Array.Sort(sorted, StringComparer.Ordinal);
            dump.Add(new WatcherPaths(watcherId, sorted));
        }

        dump.Sort(static (a, b) => a.WatcherId.CompareTo(b.WatcherId));
        return dump;
    }

    /// <summary>Checks that both indexes and the counters agree; for tests.</summary>
    internal void CheckConsistency()
    {
        int pairs = 0;
        int recursive = 0;
        int tableEntries = 0;
        foreach (var (path, watchers) in _byPath)
        {
            Invariant.Check(watchers.Count > 0, "an unwatched path is still indexed");
            foreach (var (watcherId, kinds) in watchers)
            {
                Invariant.Check(kinds != WatchKinds.None && (kinds & ~WatchKinds.All) == 0, "bad watch kinds");
                Invariant.Check(_byWatcher.TryGetValue(watcherId, out var paths) && paths.Contains(path), "path missing from the watcher index");
                pairs++;
                recursive += (kinds & WatchKinds.PersistentRecursive) != 0 ? 1 : 0;
                tableEntries += TableEntries(kinds);
            }
        }

        int indexed = 0;
        foreach (var (_, paths) in _byWatcher)
        {
            Invariant.Check(paths.Count > 0, "a watcher without watches is still indexed");
            indexed += paths.Count;
        }

        Invariant.Check(pairs == indexed && pairs == _watchCount, "watch count out of step");
        Invariant.Check(recursive == _recursiveCount, "recursive watch count out of step");
        Invariant.Check(tableEntries == _tableCount, "table watch count out of step");
    }

    /// <summary>In how many of ZooKeeper's two watch tables a connection holding <paramref name="kinds"/> on a path is.</summary>
    private static int TableEntries(WatchKinds kinds) =>
        ((kinds & WatchKinds.DataTable) != 0 ? 1 : 0) + ((kinds & WatchKinds.ChildTable) != 0 ? 1 : 0);

    private static WatchKinds KindsFiredOnPath(EventType type) => type switch
    {
        EventType.NodeCreated or EventType.NodeDataChanged =>
            WatchKinds.Data | WatchKinds.Persistent | WatchKinds.PersistentRecursive,
        EventType.NodeDeleted => WatchKinds.All,
        EventType.NodeChildrenChanged => WatchKinds.Child | WatchKinds.Persistent,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not an event the data tree triggers"),
    };

    private void FireOnPath(string path, Dictionary<long, WatchKinds> watchers, EventType type, WatchKinds firing)
    {
        _fired.Clear();
        foreach (var (watcherId, kinds) in watchers)
        {
            if ((kinds & firing) == 0)
            {
                continue;
            }

            _notifications.Add(new(watcherId, type, path));
            var remaining = kinds & ~(firing & WatchKinds.OneShot);
            if (remaining != kinds)
            {
                _fired.Add((watcherId, remaining));
            }
        }

        // One-shot watches are dropped after the loop: a dictionary must not change while it is enumerated.
        foreach (var (watcherId, remaining) in _fired)
        {
            _tableCount += TableEntries(remaining) - TableEntries(watchers[watcherId]);
            if (remaining != WatchKinds.None)
            {
                watchers[watcherId] = remaining;
            }
            else
            {
                watchers.Remove(watcherId);
                UnindexPath(watcherId, path);
            }
        }

        ForgetPathIfUnwatched(path, watchers);
    }

    private void FireRecursiveOnAncestors(string path, EventType type)
    {
        bool deduplicating = false;
        var ancestor = path.AsSpan();
        while (TryParent(ref ancestor))
        {
            if (!_byPathSpan.TryGetValue(ancestor, out var watchers))
            {
                continue;
            }

            foreach (var (watcherId, kinds) in watchers)
            {
                if ((kinds & WatchKinds.PersistentRecursive) == 0)
                {
                    continue;
                }

                if (!deduplicating)
                {
                    _notified.Clear();
                    foreach (var notification in _notifications)
                    {
                        _notified.Add(notification.WatcherId);
                    }

                    deduplicating = true;
                }

                if (_notified.Add(watcherId))
                {
                    _notifications.Add(new(watcherId, type, path));
                }
            }
        }
    }

    /// <summary>Moves <paramref name="path"/> to its parent ("/a/b" → "/a" → "/"); false at the root.</summary>
    private static bool TryParent(ref ReadOnlySpan<char> path)
    {
        int slash = path.LastIndexOf('/');
        if (path.Length <= 1 || slash < 0)
        {
            return false;
        }

        path = slash == 0 ? path[..1] : path[..slash];
        return true;
    }

    private void IndexPath(long watcherId, string path)
    {
        ref var paths = ref CollectionsMarshal.GetValueRefOrAddDefault(_byWatcher, watcherId, out _);
        paths ??= _freePathSets.TryPop(out var free) ? free : new HashSet<string>(StringComparer.Ordinal);
        paths.Add(path);
        _watchCount++;
    }

    private void UnindexPath(long watcherId, string path)
    {
        var paths = _byWatcher[watcherId];
        paths.Remove(path);
        _watchCount--;
        if (paths.Count == 0)
        {
            _byWatcher.Remove(watcherId);
            ReturnPathSet(paths);
        }
    }

    private void ForgetPathIfUnwatched(string path, Dictionary<long, WatchKinds> watchers)
    {
        if (watchers.Count > 0)
        {
            return;
        }

        _byPath.Remove(path);
        if (_freeWatcherMaps.Count < PoolLimit && watchers.EnsureCapacity(0) <= PooledCapacityLimit)
        {
            _freeWatcherMaps.Push(watchers);
        }
    }

    private Dictionary<long, WatchKinds> RentWatcherMap() =>
        _freeWatcherMaps.TryPop(out var free) ? free : new Dictionary<long, WatchKinds>();

    private void ReturnPathSet(HashSet<string> paths)
    {
        if (_freePathSets.Count < PoolLimit && paths.EnsureCapacity(0) <= PooledCapacityLimit)
        {
            paths.Clear();
            _freePathSets.Push(paths);
        }
    }
}
