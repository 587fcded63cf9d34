using Colony.Coordination.Watches;

namespace Colony.Coordination.Tests.Watches;

/// <summary>Re-registration after a reconnect: a change the client missed fires at once instead of being watched.</summary>
public sealed class SetWatchesTests
{
    private const long Seen = 100;
    private const long Watcher = 7;

    private readonly WatchManager _watches = new();
    private readonly FakeTree _tree = new();

    private WatchNotification[] Set(
        string[]? data = null, string[]? exist = null, string[]? child = null, string[]? persistent = null, string[]? recursive = null) =>
        _watches.SetWatches(Seen, data ?? [], exist ?? [], child ?? [], persistent ?? [], recursive ?? [], Watcher, _tree).ToArray();

    private static WatchNotification N(EventType type, string path) => new(Watcher, type, path);

    [Fact]
    public void A_data_watch_on_a_node_unchanged_since_the_client_saw_it_is_registered()
    {
        _tree.Put("/a", mzxid: Seen, pzxid: Seen + 5);

        Assert.Empty(Set(data: ["/a"]));
        Assert.Equal(WatchKinds.Data, _watches.KindsOf("/a", Watcher));
    }

    [Fact]
    public void A_data_watch_on_a_node_changed_since_fires_data_changed()
    {
        _tree.Put("/a", mzxid: Seen + 1, pzxid: 0);

        Assert.Equal([N(EventType.NodeDataChanged, "/a")], Set(data: ["/a"]));
        Assert.Equal(WatchKinds.None, _watches.KindsOf("/a", Watcher));
    }

    [Fact]
    public void A_data_watch_on_a_deleted_node_fires_deleted()
    {
        Assert.Equal([N(EventType.NodeDeleted, "/a")], Set(data: ["/a"]));
        Assert.Equal(default, _watches.Summary);
    }

    [Fact]
    public void An_exists_watch_on_a_node_still_missing_is_registered_as_a_data_watch()
    {
        Assert.Empty(Set(exist: ["/a"]));
        Assert.Equal(WatchKinds.Data, _watches.KindsOf("/a", Watcher));
    }

    [Fact]
    public void An_exists_watch_on_a_node_that_now_exists_fires_created()
    {
        _tree.Put("/a", mzxid: 1, pzxid: 1);

        Assert.Equal([N(EventType.NodeCreated, "/a")], Set(exist: ["/a"]));
        Assert.Equal(default, _watches.Summary);
    }

    [Fact]
    public void A_child_watch_on_a_node_whose_children_are_unchanged_is_registered()
    {
        _tree.Put("/a", mzxid: Seen + 9, pzxid: Seen);

        Assert.Empty(Set(child: ["/a"]));
        Assert.Equal(WatchKinds.Child, _watches.KindsOf("/a", Watcher));
    }

    [Fact]
    public void A_child_watch_on_a_node_whose_children_changed_fires_children_changed()
    {
        _tree.Put("/a", mzxid: 0, pzxid: Seen + 1);

        Assert.Equal([N(EventType.NodeChildrenChanged, "/a")], Set(child: ["/a"]));
        Assert.Equal(default, _watches.Summary);
    }

    [Fact]
    public void A_child_watch_on_a_deleted_node_fires_deleted()
    {
        Assert.Equal([N(EventType.NodeDeleted, "/a")], Set(child: ["/a"]));
    }

    [Fact]
    public void Persistent_and_recursive_watches_are_registered_whatever_changed()
    {
        _tree.Put("/a", mzxid: Seen + 1, pzxid: Seen + 1);

        Assert.Empty(Set(persistent: ["/a", "/gone"], recursive: ["/a", "/gone"]));
        Assert.Equal(WatchKinds.Persistent | WatchKinds.PersistentRecursive, _watches.KindsOf("/a", Watcher));
        Assert.Equal(WatchKinds.Persistent | WatchKinds.PersistentRecursive, _watches.KindsOf("/gone", Watcher));
        Assert.Equal(2, _watches.RecursiveWatchCount);
    }

    [Fact]
    public void Notifications_follow_the_request_order_data_exists_children()
    {
        _tree.Put("/changed", mzxid: Seen + 1, pzxid: Seen + 1);
        _tree.Put("/same", mzxid: Seen, pzxid: Seen);

        var fired = Set(
            data: ["/changed", "/same", "/gone"],
            exist: ["/same", "/gone"],
            child: ["/gone", "/changed", "/same"]);

        Assert.Equal(
            [
                N(EventType.NodeDataChanged, "/changed"),
                N(EventType.NodeDeleted, "/gone"),
                N(EventType.NodeCreated, "/same"),
                N(EventType.NodeDeleted, "/gone"),
                N(EventType.NodeChildrenChanged, "/changed"),
            ],
            fired);
        Assert.Equal(WatchKinds.Data | WatchKinds.Child, _watches.KindsOf("/same", Watcher));
        Assert.Equal(WatchKinds.Data, _watches.KindsOf("/gone", Watcher));
        _watches.CheckConsistency();
    }

    [Fact]
    public void Registered_watches_then_fire_like_any_other()
    {
        _tree.Put("/a", mzxid: Seen, pzxid: Seen);
        Set(data: ["/a"], child: ["/a"], recursive: ["/"]);

        Assert.Equal([N(EventType.NodeDeleted, "/a")], _watches.Trigger("/a", EventType.NodeDeleted).ToArray());
        Assert.Equal(WatchKinds.None, _watches.KindsOf("/a", Watcher));
    }

    private sealed class FakeTree : IWatchTreeView
    {
        private readonly Dictionary<string, Stat> _nodes = [];

        public void Put(string path, long mzxid, long pzxid) =>
            _nodes[path] = new Stat(1, mzxid, 0, 0, 0, 0, 0, 0, 0, 0, pzxid);

        public bool TryGetStat(string path, out Stat stat) => _nodes.TryGetValue(path, out stat);
    }
}
