using Colony.Coordination;

namespace Colony.Client.Tests;

public sealed class WatchRegistryTests
{
    private readonly WatchRegistry registry = new();
    private readonly Watcher a = _ => { };
    private readonly Watcher b = _ => { };

    [Fact]
    public void Data_changes_wake_data_and_exist_watches_once()
    {
        registry.Add(WatchKind.Data, "/x", a);
        registry.Add(WatchKind.Exist, "/x", a);
        registry.Add(WatchKind.Child, "/x", b);

        Assert.Equal([a], registry.Materialize(EventType.NodeDataChanged, "/x"));
        Assert.Empty(registry.Materialize(EventType.NodeDataChanged, "/x"));
        Assert.Equal([b], registry.Materialize(EventType.NodeChildrenChanged, "/x"));
        Assert.True(registry.Snapshot().IsEmpty);
    }

    [Fact]
    public void Deletion_wakes_data_exist_and_child_watches()
    {
        registry.Add(WatchKind.Data, "/x", a);
        registry.Add(WatchKind.Child, "/x", b);
        registry.Add(WatchKind.Child, "/y", b);

        Assert.Equal(new HashSet<Watcher> { a, b }, registry.Materialize(EventType.NodeDeleted, "/x").ToHashSet());
        Assert.Equal(["/y"], registry.Snapshot().Child);
    }

    [Fact]
    public void Persistent_watches_stay_and_recursive_ones_cover_descendants_except_child_events()
    {
        registry.Add(WatchKind.Persistent, "/p", a);
        registry.Add(WatchKind.PersistentRecursive, "/", b);

        Assert.Equal(new HashSet<Watcher> { a, b }, registry.Materialize(EventType.NodeDataChanged, "/p").ToHashSet());
        Assert.Equal([a], registry.Materialize(EventType.NodeChildrenChanged, "/p"));
        Assert.Equal([b], registry.Materialize(EventType.NodeCreated, "/p/q/r"));
        Assert.Empty(registry.Materialize(EventType.NodeChildrenChanged, "/p/q"));
        Assert.Equal(["/p"], registry.Snapshot().Persistent);
        Assert.Equal(["/"], registry.Snapshot().PersistentRecursive);
    }

    [Fact]
    public void Session_events_wake_every_watcher_and_keep_them()
    {
        registry.Add(WatchKind.Data, "/x", a);
        registry.Add(WatchKind.PersistentRecursive, "/y", b);
        registry.Add(WatchKind.Child, "/z", a);

        Assert.Equal(new HashSet<Watcher> { a, b }, registry.Materialize(EventType.None, null).ToHashSet());
        Assert.Equal(["/x"], registry.Snapshot().Data);
    }

    [Fact]
    public void Removal_by_type_reports_what_each_watcher_lost()
    {
        registry.Add(WatchKind.Data, "/x", a);
        registry.Add(WatchKind.Exist, "/x", a);
        registry.Add(WatchKind.Child, "/x", a);
        registry.Add(WatchKind.Persistent, "/x", b);

        Assert.True(registry.Contains("/x", a, WatcherType.Data));
        Assert.False(registry.Contains("/x", b, WatcherType.Children));
        Assert.Equal([(a, EventType.DataWatchRemoved)], registry.Remove("/x", a, WatcherType.Data));
        Assert.Equal([(a, EventType.ChildWatchRemoved), (b, EventType.PersistentWatchRemoved)], registry.Remove("/x", null, WatcherType.Any));
        Assert.Empty(registry.Remove("/x", null, WatcherType.Any));
        Assert.True(registry.Snapshot().IsEmpty);
    }
}
