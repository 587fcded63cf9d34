using Colony.Coordination.Watches;

namespace Colony.Coordination.Tests.Watches;

public sealed class WatchManagerTests
{
    private readonly WatchManager _watches = new();

    private WatchNotification[] Fire(string path, EventType type) => _watches.Trigger(path, type).ToArray();

    private static WatchNotification N(long watcherId, EventType type, string path) => new(watcherId, type, path);

    [Fact]
    public void Nothing_fires_when_nobody_watches()
    {
        Assert.Empty(Fire("/a", EventType.NodeCreated));
        _watches.Add("/b", WatchKinds.Data, 1);
        Assert.Empty(Fire("/a", EventType.NodeDataChanged));
        Assert.Equal(WatchKinds.Data, _watches.KindsOf("/b", 1));
    }

    [Fact]
    public void ZooKeepers_listings_show_its_data_watch_table_and_mntr_counts_both_tables()
    {
        _watches.Add("/a", WatchKinds.Data, 1);
        _watches.Add("/a", WatchKinds.Child, 1);          // both tables: counted twice in mntr
        _watches.Add("/kids", WatchKinds.Child, 2);       // the child table only: not in wchs, wchc or wchp
        _watches.Add("/p", WatchKinds.Persistent, 3);     // both tables
        _watches.Add("/r", WatchKinds.PersistentRecursive, 3); // the data table only

        Assert.Equal(new WatchSummary(2, 3, 3), _watches.SummaryOf(WatchKinds.DataTable));
        Assert.Equal(3 + 3, _watches.TableWatchCount);
        Assert.Equal(["/a:1", "/p:3", "/r:3"], _watches.DumpByPath(WatchKinds.DataTable).Select(p => $"{p.Path}:{string.Join(',', p.WatcherIds)}"));
        Assert.Equal(["1:/a", "3:/p,/r"], _watches.DumpByWatcher(WatchKinds.DataTable).Select(w => $"{w.WatcherId}:{string.Join(',', w.Paths)}"));
        Assert.Equal(new WatchSummary(3, 4, 4), _watches.Summary); // every kind, one per (connection, path)
        _watches.CheckConsistency();

        Assert.Equal(2, _watches.RemoveWatcher(3)); // the persistent and the recursive watch: three entries
        Assert.Equal(3, _watches.TableWatchCount);
        Assert.Single(Fire("/a", EventType.NodeDataChanged)); // the data watch fires and goes; the child watch stays
        Assert.Equal(2, _watches.TableWatchCount);
        _watches.CheckConsistency();
    }

    [Fact]
    public void Node_created_fires_data_and_exists_watches_once()
    {
        _watches.Add("/a", WatchKinds.Data, 1);
        _watches.Add("/a", WatchKinds.Data, 2);

        Assert.Equal([N(1, EventType.NodeCreated, "/a"), N(2, EventType.NodeCreated, "/a")], Fire("/a", EventType.NodeCreated));
        Assert.Empty(Fire("/a", EventType.NodeDataChanged));
        Assert.Equal(default, _watches.Summary);
    }

    [Fact]
    public void Node_created_leaves_child_watches_alone()
    {
        _watches.Add("/a", WatchKinds.Child, 1);

        Assert.Empty(Fire("/a", EventType.NodeCreated));
        Assert.Equal(WatchKinds.Child, _watches.KindsOf("/a", 1));
    }

    [Fact]
    public void Node_data_changed_fires_data_watches_only()
    {
        _watches.Add("/a", WatchKinds.Data, 1);
        _watches.Add("/a", WatchKinds.Child, 2);

        Assert.Equal([N(1, EventType.NodeDataChanged, "/a")], Fire("/a", EventType.NodeDataChanged));
        Assert.Equal(WatchKinds.None, _watches.KindsOf("/a", 1));
        Assert.Equal(WatchKinds.Child, _watches.KindsOf("/a", 2));
    }

    [Fact]
    public void Node_children_changed_fires_child_watches_only()
    {
        _watches.Add("/a", WatchKinds.Data, 1);
        _watches.Add("/a", WatchKinds.Child, 2);

        Assert.Equal([N(2, EventType.NodeChildrenChanged, "/a")], Fire("/a", EventType.NodeChildrenChanged));
        Assert.Equal(WatchKinds.Data, _watches.KindsOf("/a", 1));
        Assert.Equal(WatchKinds.None, _watches.KindsOf("/a", 2));
    }

    [Fact]
    public void Node_deleted_fires_data_and_child_watches_once_per_watcher()
    {
        _watches.Add("/a", WatchKinds.Data, 1);
        _watches.Add("/a", WatchKinds.Child, 1);
        _watches.Add("/a", WatchKinds.Child, 2);

        Assert.Equal([N(1, EventType.NodeDeleted, "/a"), N(2, EventType.NodeDeleted, "/a")], Fire("/a", EventType.NodeDeleted));
        Assert.Equal(default, _watches.Summary);
    }

    [Fact]
    public void One_shot_watches_on_other_paths_do_not_fire()
    {
        _watches.Add("/a", WatchKinds.Data, 1);
        _watches.Add("/a", WatchKinds.Child, 1);
        _watches.Add("/a/b/c", WatchKinds.Data, 2);

        Assert.Empty(Fire("/a/b", EventType.NodeDeleted));
        Assert.Empty(Fire("/a/b", EventType.NodeCreated));
        Assert.Equal(new WatchSummary(2, 2, 2), _watches.Summary);
    }

    [Fact]
    public void Notifications_come_in_watcher_order()
    {
        foreach (long id in new long[] { 9, 3, -4, 12, 0 })
        {
            _watches.Add("/a", WatchKinds.Data, id);
        }

        Assert.Equal(new long[] { -4, 0, 3, 9, 12 }, Fire("/a", EventType.NodeDataChanged).Select(n => n.WatcherId));
    }

    [Theory]
    [InlineData(EventType.NodeCreated)]
    [InlineData(EventType.NodeDeleted)]
    [InlineData(EventType.NodeDataChanged)]
    [InlineData(EventType.NodeChildrenChanged)]
    public void Persistent_watches_fire_for_every_event_on_their_path_and_stay(EventType type)
    {
        _watches.Add("/a", WatchKinds.Persistent, 1);

        Assert.Equal([N(1, type, "/a")], Fire("/a", type));
        Assert.Equal([N(1, type, "/a")], Fire("/a", type));
        Assert.Equal(WatchKinds.Persistent, _watches.KindsOf("/a", 1));
    }

    [Fact]
    public void Persistent_watches_ignore_descendants()
    {
        _watches.Add("/a", WatchKinds.Persistent, 1);

        Assert.Empty(Fire("/a/b", EventType.NodeCreated));
        Assert.Empty(Fire("/a/b", EventType.NodeDataChanged));
        Assert.Empty(Fire("/a/b", EventType.NodeDeleted));
    }

    [Fact]
    public void A_persistent_watch_and_a_one_shot_watch_on_one_path_notify_once_and_only_the_one_shot_goes()
    {
        _watches.Add("/a", WatchKinds.Persistent, 1);
        _watches.Add("/a", WatchKinds.Data, 1);

        Assert.Equal([N(1, EventType.NodeDataChanged, "/a")], Fire("/a", EventType.NodeDataChanged));
        Assert.Equal(WatchKinds.Persistent, _watches.KindsOf("/a", 1));
    }

    [Theory]
    [InlineData(EventType.NodeCreated)]
    [InlineData(EventType.NodeDeleted)]
    [InlineData(EventType.NodeDataChanged)]
    public void Recursive_watches_fire_for_their_path_and_every_descendant(EventType type)
    {
        _watches.Add("/a", WatchKinds.PersistentRecursive, 1);

        Assert.Equal([N(1, type, "/a")], Fire("/a", type));
        Assert.Equal([N(1, type, "/a/b")], Fire("/a/b", type));
        Assert.Equal([N(1, type, "/a/b/c/d")], Fire("/a/b/c/d", type));
        Assert.Equal(WatchKinds.PersistentRecursive, _watches.KindsOf("/a", 1));
    }

    [Fact]
    public void Recursive_watches_never_see_children_changed()
    {
        _watches.Add("/a", WatchKinds.PersistentRecursive, 1);
        _watches.Add("/", WatchKinds.PersistentRecursive, 2);

        Assert.Empty(Fire("/a", EventType.NodeChildrenChanged));
        Assert.Empty(Fire("/a/b", EventType.NodeChildrenChanged));
        Assert.Empty(Fire("/", EventType.NodeChildrenChanged));
    }

    [Fact]
    public void A_recursive_watch_on_the_root_sees_the_whole_tree()
    {
        _watches.Add("/", WatchKinds.PersistentRecursive, 1);

        Assert.Equal([N(1, EventType.NodeDataChanged, "/")], Fire("/", EventType.NodeDataChanged));
        Assert.Equal([N(1, EventType.NodeCreated, "/x/y")], Fire("/x/y", EventType.NodeCreated));
    }

    [Fact]
    public void A_recursive_watch_does_not_cover_a_sibling_sharing_its_prefix()
    {
        _watches.Add("/a", WatchKinds.PersistentRecursive, 1);

        Assert.Empty(Fire("/ab", EventType.NodeCreated));
        Assert.Empty(Fire("/ab/c", EventType.NodeCreated));
    }

    [Fact]
    public void Ancestors_only_lend_their_recursive_watches()
    {
        _watches.Add("/a", WatchKinds.PersistentRecursive, 9);
        _watches.Add("/a", WatchKinds.Data, 1);
        _watches.Add("/a", WatchKinds.Child, 2);
        _watches.Add("/a", WatchKinds.Persistent, 3);

        Assert.Equal([N(9, EventType.NodeDeleted, "/a/b")], Fire("/a/b", EventType.NodeDeleted));
        Assert.Equal(WatchKinds.Data, _watches.KindsOf("/a", 1));
        Assert.Equal(WatchKinds.Child, _watches.KindsOf("/a", 2));
    }

    [Fact]
    public void A_watcher_matching_in_several_ways_is_notified_once()
    {
        _watches.Add("/", WatchKinds.PersistentRecursive, 1);
        _watches.Add("/a", WatchKinds.PersistentRecursive, 1);
        _watches.Add("/a/b", WatchKinds.PersistentRecursive, 1);
        _watches.Add("/a/b", WatchKinds.Data, 1);
        _watches.Add("/a/b", WatchKinds.Child, 1);
        _watches.Add("/a/b", WatchKinds.Persistent, 1);
        _watches.Add("/a", WatchKinds.PersistentRecursive, 2);

        Assert.Equal([N(1, EventType.NodeDeleted, "/a/b"), N(2, EventType.NodeDeleted, "/a/b")], Fire("/a/b", EventType.NodeDeleted));
        Assert.Equal(WatchKinds.Persistent | WatchKinds.PersistentRecursive, _watches.KindsOf("/a/b", 1));
        Assert.Equal([N(1, EventType.NodeCreated, "/a/b/c"), N(2, EventType.NodeCreated, "/a/b/c")], Fire("/a/b/c", EventType.NodeCreated));
    }

    [Fact]
    public void A_create_reported_as_the_tree_does_notifies_the_node_and_then_its_parent()
    {
        _watches.Add("/p/new", WatchKinds.Data, 1);
        _watches.Add("/p", WatchKinds.Child, 1);
        _watches.Add("/p", WatchKinds.PersistentRecursive, 2);

        Assert.Equal([N(1, EventType.NodeCreated, "/p/new"), N(2, EventType.NodeCreated, "/p/new")], Fire("/p/new", EventType.NodeCreated));
        Assert.Equal([N(1, EventType.NodeChildrenChanged, "/p")], Fire("/p", EventType.NodeChildrenChanged));
    }

    [Theory]
    [InlineData(EventType.None)]
    [InlineData(EventType.DataWatchRemoved)]
    [InlineData(EventType.ChildWatchRemoved)]
    [InlineData(EventType.PersistentWatchRemoved)]
    public void Only_tree_events_trigger(EventType type)
    {
        _watches.Add("/a", WatchKinds.Persistent, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => _watches.Trigger("/a", type));
    }

    [Fact]
    public void Adding_a_kind_already_held_changes_nothing()
    {
        Assert.True(_watches.Add("/a", WatchKinds.Data, 1));
        Assert.False(_watches.Add("/a", WatchKinds.Data, 1));
        Assert.True(_watches.Add("/a", WatchKinds.PersistentRecursive, 1));
        Assert.False(_watches.Add("/a", WatchKinds.PersistentRecursive, 1));

        Assert.Equal(new WatchSummary(1, 1, 1), _watches.Summary);
        Assert.Equal(1, _watches.RecursiveWatchCount);
    }

    [Theory]
    [InlineData(WatchKinds.None)]
    [InlineData(WatchKinds.Data | WatchKinds.Child)]
    [InlineData(WatchKinds.All)]
    [InlineData((WatchKinds)16)]
    public void Add_takes_exactly_one_kind(WatchKinds kind) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _watches.Add("/a", kind, 1));

    [Fact]
    public void Add_watch_modes_map_to_persistent_kinds()
    {
        Assert.Equal(WatchKinds.Persistent, AddWatchMode.Persistent.ToWatchKind());
        Assert.Equal(WatchKinds.PersistentRecursive, AddWatchMode.PersistentRecursive.ToWatchKind());
        Assert.Throws<ArgumentOutOfRangeException>(() => ((AddWatchMode)2).ToWatchKind());
    }

    [Fact]
    public void Has_names_one_shot_kinds_by_type_and_everything_by_any()
    {
        _watches.Add("/d", WatchKinds.Data, 1);
        _watches.Add("/c", WatchKinds.Child, 1);
        _watches.Add("/p", WatchKinds.Persistent, 1);
        _watches.Add("/r", WatchKinds.PersistentRecursive, 1);

        Assert.True(_watches.Has("/d", WatcherType.Data, 1));
        Assert.False(_watches.Has("/d", WatcherType.Children, 1));
        Assert.True(_watches.Has("/d", WatcherType.Any, 1));

        Assert.True(_watches.Has("/c", WatcherType.Children, 1));
        Assert.False(_watches.Has("/c", WatcherType.Data, 1));
        Assert.True(_watches.Has("/c", WatcherType.Any, 1));

        foreach (string path in new[] { "/p", "/r" })
        {
            Assert.False(_watches.Has(path, WatcherType.Data, 1));
            Assert.False(_watches.Has(path, WatcherType.Children, 1));
            Assert.True(_watches.Has(path, WatcherType.Any, 1));
        }
    }

    [Fact]
    public void Has_is_false_for_other_watchers_other_paths_and_descendants_of_recursive_watches()
    {
        _watches.Add("/a", WatchKinds.PersistentRecursive, 1);
        _watches.Add("/a", WatchKinds.Data, 1);

        Assert.False(_watches.Has("/a", WatcherType.Any, 2));
        Assert.False(_watches.Has("/b", WatcherType.Any, 1));
        Assert.False(_watches.Has("/a/b", WatcherType.Any, 1));
    }

    [Fact]
    public void Remove_children_takes_only_the_child_watch()
    {
        _watches.Add("/a", WatchKinds.Data, 1);
        _watches.Add("/a", WatchKinds.Child, 1);
        _watches.Add("/a", WatchKinds.Persistent, 1);

        Assert.Equal(WatchKinds.Child, _watches.Remove("/a", WatcherType.Children, 1));
        Assert.Equal(WatchKinds.Data | WatchKinds.Persistent, _watches.KindsOf("/a", 1));
        Assert.Equal(WatchKinds.None, _watches.Remove("/a", WatcherType.Children, 1));
    }

    [Fact]
    public void Remove_data_takes_only_the_data_watch()
    {
        _watches.Add("/a", WatchKinds.Data, 1);
        _watches.Add("/a", WatchKinds.Child, 1);
        _watches.Add("/a", WatchKinds.PersistentRecursive, 1);

        Assert.Equal(WatchKinds.Data, _watches.Remove("/a", WatcherType.Data, 1));
        Assert.Equal(WatchKinds.Child | WatchKinds.PersistentRecursive, _watches.KindsOf("/a", 1));
        Assert.Equal(1, _watches.RecursiveWatchCount);
    }

    [Fact]
    public void Remove_any_takes_every_kind_including_persistent_ones()
    {
        _watches.Add("/a", WatchKinds.Data, 1);
        _watches.Add("/a", WatchKinds.Child, 1);
        _watches.Add("/a", WatchKinds.Persistent, 1);
        _watches.Add("/a", WatchKinds.PersistentRecursive, 1);
        _watches.Add("/a", WatchKinds.Data, 2);

        Assert.Equal(WatchKinds.All, _watches.Remove("/a", WatcherType.Any, 1));
        Assert.Equal(0, _watches.RecursiveWatchCount);
        Assert.Equal(new WatchSummary(1, 1, 1), _watches.Summary);
        Assert.Empty(Fire("/a/b", EventType.NodeCreated));
        Assert.Equal([N(2, EventType.NodeDataChanged, "/a")], Fire("/a", EventType.NodeDataChanged));
    }

    [Fact]
    public void Removing_persistent_watches_by_data_or_children_finds_no_watcher()
    {
        _watches.Add("/a", WatchKinds.Persistent, 1);
        _watches.Add("/a", WatchKinds.PersistentRecursive, 1);

        Assert.Equal(WatchKinds.None, _watches.Remove("/a", WatcherType.Data, 1));
        Assert.Equal(WatchKinds.None, _watches.Remove("/a", WatcherType.Children, 1));
        Assert.Equal(WatchKinds.Persistent | WatchKinds.PersistentRecursive, _watches.KindsOf("/a", 1));
    }

    [Fact]
    public void Removing_what_is_not_there_finds_no_watcher()
    {
        _watches.Add("/a", WatchKinds.Data, 1);

        Assert.Equal(WatchKinds.None, _watches.Remove("/b", WatcherType.Any, 1));
        Assert.Equal(WatchKinds.None, _watches.Remove("/a", WatcherType.Any, 2));
        Assert.Equal(WatchKinds.None, _watches.Remove("/a", WatcherType.Children, 1));
        Assert.Equal(WatchKinds.None, _watches.Remove("/a/b", WatcherType.Any, 1));
        Assert.Equal(new WatchSummary(1, 1, 1), _watches.Summary);
    }

    [Fact]
    public void A_removed_one_shot_watch_no_longer_fires()
    {
        _watches.Add("/a", WatchKinds.Data, 1);
        _watches.Remove("/a", WatcherType.Data, 1);

        Assert.Empty(Fire("/a", EventType.NodeDataChanged));
        Assert.Equal(default, _watches.Summary);
    }

    [Theory]
    [InlineData(WatchKinds.None, new EventType[0])]
    [InlineData(WatchKinds.Data, new[] { EventType.DataWatchRemoved })]
    [InlineData(WatchKinds.Child, new[] { EventType.ChildWatchRemoved })]
    [InlineData(WatchKinds.Persistent, new[] { EventType.PersistentWatchRemoved })]
    [InlineData(WatchKinds.PersistentRecursive, new[] { EventType.PersistentWatchRemoved })]
    [InlineData(WatchKinds.All, new[] { EventType.DataWatchRemoved, EventType.ChildWatchRemoved, EventType.PersistentWatchRemoved })]
    public void Removed_kinds_name_their_watch_removed_events(WatchKinds removed, EventType[] events) =>
        Assert.Equal(events, removed.RemovalEvents());

    [Theory]
    [InlineData(WatcherType.Children, WatchKinds.Child)]
    [InlineData(WatcherType.Data, WatchKinds.Data)]
    [InlineData(WatcherType.Any, WatchKinds.All)]
    public void Watcher_types_name_watch_kinds(WatcherType type, WatchKinds kinds) => Assert.Equal(kinds, type.ToWatchKinds());

    [Fact]
    public void Unknown_watcher_types_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _watches.Has("/a", (WatcherType)4, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => _watches.Remove("/a", (WatcherType)0, 1));
    }

    [Fact]
    public void A_disconnect_drops_every_watch_of_that_connection_only()
    {
        _watches.Add("/a", WatchKinds.Data, 1);
        _watches.Add("/a", WatchKinds.Child, 1);
        _watches.Add("/b", WatchKinds.PersistentRecursive, 1);
        _watches.Add("/c", WatchKinds.Persistent, 1);
        _watches.Add("/a", WatchKinds.Data, 2);

        Assert.Equal(3, _watches.RemoveWatcher(1));
        Assert.Equal(0, _watches.RemoveWatcher(1));
        Assert.Equal(0, _watches.RemoveWatcher(99));

        Assert.Equal(new WatchSummary(1, 1, 1), _watches.Summary);
        Assert.Equal(0, _watches.RecursiveWatchCount);
        Assert.Empty(Fire("/b/x", EventType.NodeCreated));
        Assert.Empty(Fire("/c", EventType.NodeDataChanged));
        Assert.Equal([N(2, EventType.NodeDeleted, "/a")], Fire("/a", EventType.NodeDeleted));
        _watches.CheckConsistency();
    }

    [Fact]
    public void Summary_counts_connections_paths_and_connection_path_pairs()
    {
        _watches.Add("/a", WatchKinds.Data, 1);
        _watches.Add("/a", WatchKinds.Child, 1);
        _watches.Add("/a", WatchKinds.Data, 2);
        _watches.Add("/b", WatchKinds.Persistent, 2);
        _watches.Add("/c", WatchKinds.PersistentRecursive, 3);

        Assert.Equal(new WatchSummary(Connections: 3, Paths: 3, Watches: 4), _watches.Summary);
    }

    [Fact]
    public void Dumps_are_ordered_by_path_and_by_watcher()
    {
        _watches.Add("/b", WatchKinds.Data, 7);
        _watches.Add("/a/z", WatchKinds.Child, 3);
        _watches.Add("/a", WatchKinds.Persistent, 7);
        _watches.Add("/b", WatchKinds.Data, 3);
        _watches.Add("/B", WatchKinds.Data, 3);

        var byPath = _watches.DumpByPath();
        Assert.Equal(new[] { "/B", "/a", "/a/z", "/b" }, byPath.Select(p => p.Path));
        Assert.Equal(new long[] { 3, 7 }, byPath[3].WatcherIds);

        var byWatcher = _watches.DumpByWatcher();
        Assert.Equal(new long[] { 3, 7 }, byWatcher.Select(w => w.WatcherId));
        Assert.Equal(new[] { "/B", "/a/z", "/b" }, byWatcher[0].Paths);
        Assert.Equal(new[] { "/a", "/b" }, byWatcher[1].Paths);
    }

    [Fact]
    public void Triggering_an_unwatched_path_allocates_nothing()
    {
        _watches.Add("/other", WatchKinds.Data, 1);
        _watches.Add("/a/b", WatchKinds.PersistentRecursive, 2);
        _watches.Add("/a/b/c/d", WatchKinds.Data, 3);
        _watches.Trigger("/x/y/z", EventType.NodeDataChanged);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            _watches.Trigger("/x/y/z", EventType.NodeDataChanged);
            _watches.Trigger("/a/c/d", EventType.NodeCreated);
            _watches.Trigger("/a", EventType.NodeChildrenChanged);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Setting_and_firing_one_shot_watches_reuses_buffers()
    {
        string[] paths = ["/a", "/a/b", "/c"];
        for (int round = 0; round < 2; round++)
        {
            foreach (string path in paths)
            {
                _watches.Add(path, WatchKinds.Data, 1);
                _watches.Add(path, WatchKinds.Data, 2);
                _watches.Trigger(path, EventType.NodeDataChanged);
            }
        }

        int notified = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            foreach (string path in paths)
            {
                _watches.Add(path, WatchKinds.Data, 1);
                _watches.Add(path, WatchKinds.Data, 2);
                notified += _watches.Trigger(path, EventType.NodeDataChanged).Length;
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(2 * 1000 * paths.Length, notified);
        Assert.Equal(default, _watches.Summary);
    }
}
