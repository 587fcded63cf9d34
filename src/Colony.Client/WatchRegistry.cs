using Colony.Coordination;

namespace Colony.Client;

/// <summary>The five kinds of watch a client holds. The server keeps one watch per path and kind for the session; the client fans it out.</summary>
internal enum WatchKind
{
    /// <summary>Set by getData, or by exists on a node that exists.</summary>
    Data,

    /// <summary>Set by exists on a node that does not exist: fires on its creation.</summary>
    Exist,

    /// <summary>Set by getChildren.</summary>
    Child,

    /// <summary>addWatch persistent: data and child changes of one node, until removed.</summary>
    Persistent,

    /// <summary>addWatch persistent-recursive: data changes, creations and deletions of a node and every descendant.</summary>
    PersistentRecursive,
}

/// <summary>The paths of every watch, by kind, to re-register after a reconnect.</summary>
internal sealed record WatchPaths(
    IReadOnlyList<string> Data,
    IReadOnlyList<string> Exist,
    IReadOnlyList<string> Child,
    IReadOnlyList<string> Persistent,
    IReadOnlyList<string> PersistentRecursive)
{
    public bool IsEmpty => Data.Count + Exist.Count + Child.Count + Persistent.Count + PersistentRecursive.Count == 0;
}

/// <summary>
/// The client's side of ZooKeeper's watches: which local watchers wait on which path, and which of
/// them an event from the server wakes. One-shot watches are removed as they fire; persistent ones
/// stay. Paths are client paths (chroot removed). Thread-safe.
/// </summary>
internal sealed class WatchRegistry
{
    private readonly object gate = new();
    private readonly Dictionary<string, HashSet<Watcher>>[] byKind =
    [
        new(StringComparer.Ordinal),
        new(StringComparer.Ordinal),
        new(StringComparer.Ordinal),
        new(StringComparer.Ordinal),
        new(StringComparer.Ordinal),
    ];

    public void Add(WatchKind kind, string path, Watcher watcher)
    {
        lock (gate)
        {
            Dictionary<string, HashSet<Watcher>> table = byKind[(int)kind];
            if (!table.TryGetValue(path, out HashSet<Watcher>? watchers))
            {
                watchers = [];
                table.Add(path, watchers);
            }
            watchers.Add(watcher);
        }
    }

    /// <summary>
    /// The watchers an event wakes, each once even if it watches the path several ways. A session
    /// event (type None) wakes every watcher and keeps them all; a node event removes the one-shot
    /// watches it fires:
    /// <list type="bullet">
    /// <item>created or data changed: data and exist watches on the path;</item>
    /// <item>children changed: child watches on the path;</item>
    /// <item>deleted: data, exist and child watches on the path;</item>
    /// <item>and always the persistent watches on the path, and (except for children changed) the
    /// recursive watches on the path and its ancestors.</item>
    /// </list>
    /// </summary>
    public IReadOnlyCollection<Watcher> Materialize(EventType type, string? path)
    {
        var woken = new HashSet<Watcher>();
        lock (gate)
        {
            if (type == EventType.None || path is null)
            {
                foreach (Dictionary<string, HashSet<Watcher>> table in byKind)
                {
                    foreach (HashSet<Watcher> watchers in table.Values)
                    {
                        woken.UnionWith(watchers);
                    }
                }
                return woken;
            }

            switch (type)
            {
                case EventType.NodeCreated:
                case EventType.NodeDataChanged:
                    Take(WatchKind.Data, path, woken);
                    Take(WatchKind.Exist, path, woken);
                    break;
                case EventType.NodeChildrenChanged:
                    Take(WatchKind.Child, path, woken);
                    break;
                case EventType.NodeDeleted:
                    Take(WatchKind.Data, path, woken);
                    Take(WatchKind.Exist, path, woken);
                    Take(WatchKind.Child, path, woken);
                    break;
                default:
                    return woken;
            }

            if (byKind[(int)WatchKind.Persistent].TryGetValue(path, out HashSet<Watcher>? persistent))
            {
                woken.UnionWith(persistent);
            }
            if (type != EventType.NodeChildrenChanged)
            {
                // Recursive watches never report child-list changes: creations and deletions say the same.
                Dictionary<string, HashSet<Watcher>> recursive = byKind[(int)WatchKind.PersistentRecursive];
                for (string? at = path; at is not null && recursive.Count > 0; at = ZooKeeperPath.Parent(at))
                {
                    if (recursive.TryGetValue(at, out HashSet<Watcher>? watchers))
                    {
                        woken.UnionWith(watchers);
                    }
                }
            }
        }
        return woken;
    }

    /// <summary>
    /// Removes <paramref name="watcher"/> (or every watcher, when null) of the kinds
    /// <paramref name="type"/> covers on <paramref name="path"/>: Children covers child watches,
    /// Data covers data and exist watches, Any covers every kind. Returns the removed watchers with
    /// the event each should receive; empty when nothing matched.
    /// </summary>
    public List<(Watcher Watcher, EventType Removed)> Remove(string path, Watcher? watcher, WatcherType type)
    {
        var removed = new List<(Watcher, EventType)>();
        lock (gate)
        {
            foreach (WatchKind kind in Kinds(type))
            {
                Dictionary<string, HashSet<Watcher>> table = byKind[(int)kind];
                if (!table.TryGetValue(path, out HashSet<Watcher>? watchers))
                {
                    continue;
                }
                EventType removedEvent = RemovedEvent(kind);
                if (watcher is null)
                {
                    removed.AddRange(watchers.Select(w => (w, removedEvent)));
                    table.Remove(path);
                }
                else if (watchers.Remove(watcher))
                {
                    removed.Add((watcher, removedEvent));
                    if (watchers.Count == 0)
                    {
                        table.Remove(path);
                    }
                }
            }
        }
        // A watcher removed from both data and exist watches hears about it once.
        return [.. removed.Distinct()];
    }

    /// <summary>True when <paramref name="watcher"/> (or any watcher, when null) watches <paramref name="path"/> in a kind <paramref name="type"/> covers.</summary>
    public bool Contains(string path, Watcher? watcher, WatcherType type)
    {
        lock (gate)
        {
            foreach (WatchKind kind in Kinds(type))
            {
                if (byKind[(int)kind].TryGetValue(path, out HashSet<Watcher>? watchers) && (watcher is null ? watchers.Count > 0 : watchers.Contains(watcher)))
                {
                    return true;
                }
            }
            return false;
        }
    }

    public WatchPaths Snapshot()
    {
        lock (gate)
        {
            return new WatchPaths(
                [.. byKind[(int)WatchKind.Data].Keys],
                [.. byKind[(int)WatchKind.Exist].Keys],
                [.. byKind[(int)WatchKind.Child].Keys],
                [.. byKind[(int)WatchKind.Persistent].Keys],
                [.. byKind[(int)WatchKind.PersistentRecursive].Keys]);
        }
    }

    /// <summary>Every watcher, once each, and the registry emptied: for the session's end.</summary>
    public IReadOnlyCollection<Watcher> Clear()
    {
        lock (gate)
        {
            var all = new HashSet<Watcher>();
            foreach (Dictionary<string, HashSet<Watcher>> table in byKind)
            {
                foreach (HashSet<Watcher> watchers in table.Values)
                {
                    all.UnionWith(watchers);
                }
                table.Clear();
            }
            return all;
        }
    }

    private static WatchKind[] Kinds(WatcherType type) => type switch
    {
        WatcherType.Children => [WatchKind.Child],
        WatcherType.Data => [WatchKind.Data, WatchKind.Exist],
        WatcherType.Any => [WatchKind.Data, WatchKind.Exist, WatchKind.Child, WatchKind.Persistent, WatchKind.PersistentRecursive],
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a watcher type"),
    };

    private static EventType RemovedEvent(WatchKind kind) => kind switch
    {
        WatchKind.Data or WatchKind.Exist => EventType.DataWatchRemoved,
        WatchKind.Child => EventType.ChildWatchRemoved,
        _ => EventType.PersistentWatchRemoved,
    };

    private void Take(WatchKind kind, string path, HashSet<Watcher> into)
    {
        if (byKind[(int)kind].Remove(path, out HashSet<Watcher>? watchers))
        {
            into.UnionWith(watchers);
        }
    }
}
