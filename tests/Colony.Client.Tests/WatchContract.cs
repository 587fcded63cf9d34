using Colony.Coordination;
using static Colony.Client.Tests.TestSupport;

namespace Colony.Client.Tests;

/// <summary>One-shot, persistent and recursive watches, with ZooKeeper's client-side semantics.</summary>
public abstract class WatchContract(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    [Fact]
    public async Task A_data_watch_fires_once_for_two_changes()
    {
        await using var watcher = await ConnectAsync(Server.ConnectString);
        await using var writer = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("data-watch");
        await writer.CreateAsync(root, "v0");
        var log = new EventLog();

        await watcher.GetDataAsync(root, log.Watcher);
        await writer.SetDataAsync(root, Bytes("v1"));
        await writer.SetDataAsync(root, Bytes("v2"));
        await FenceAsync(watcher, writer, root);

        Assert.Equal([new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, root)], log.All);
    }

    [Fact]
    public async Task A_child_watch_fires_once_when_the_children_change()
    {
        await using var watcher = await ConnectAsync(Server.ConnectString);
        await using var writer = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("child-watch");
        await writer.CreateAsync(root);
        var log = new EventLog();

        await watcher.GetChildrenAsync(root, log.Watcher);
        await writer.SetDataAsync(root, Bytes("data changes do not fire a child watch"));
        await writer.CreateAsync(root + "/a");
        await writer.CreateAsync(root + "/b");
        await FenceAsync(watcher, writer, root);

        Assert.Equal([new WatchedEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, root)], log.All);
    }

    [Fact]
    public async Task An_exists_watch_on_a_missing_node_fires_on_creation_only()
    {
        await using var watcher = await ConnectAsync(Server.ConnectString);
        await using var writer = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("exists-watch");
        await writer.CreateAsync(root);
        string node = root + "/later";
        var log = new EventLog();

        Assert.Null(await watcher.ExistsAsync(node, log.Watcher));
        await writer.CreateAsync(node);
        await writer.DeleteAsync(node);
        await FenceAsync(watcher, writer, root);

        Assert.Equal([new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, node)], log.All);
    }

    [Fact]
    public async Task Deleting_a_node_fires_its_data_and_child_watches_once_per_watcher()
    {
        await using var watcher = await ConnectAsync(Server.ConnectString);
        await using var writer = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("delete-watch");
        await writer.CreateAsync(root);
        string node = root + "/node";
        await writer.CreateAsync(node);
        var both = new EventLog();
        var dataOnly = new EventLog();

        await watcher.GetDataAsync(node, both.Watcher);
        await watcher.GetChildrenAsync(node, both.Watcher);
        await watcher.ExistsAsync(node, dataOnly.Watcher);
        await writer.DeleteAsync(node);
        await FenceAsync(watcher, writer, root);

        var deleted = new WatchedEvent(EventType.NodeDeleted, KeeperState.SyncConnected, node);
        Assert.Equal([deleted], both.All);
        Assert.Equal([deleted], dataOnly.All);
    }

    [Fact]
    public async Task The_default_watcher_hears_session_events_and_watch_true_events()
    {
        var log = new EventLog(nodeEventsOnly: false);
        await using var client = await ConnectAsync(Server.ConnectString, new ZooKeeperClientOptions { DefaultWatcher = log.Watcher });
        string root = UniqueRoot("default-watch");

        Assert.Equal(new WatchedEvent(EventType.None, KeeperState.SyncConnected, null), await log.NextAsync());
        Assert.Null(await client.ExistsAsync(root, watch: true));
        await client.CreateAsync(root);

        Assert.Equal(new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, root), await log.NextAsync());
    }

    [Fact]
    public async Task A_persistent_watch_streams_data_and_child_changes_of_one_node()
    {
        await using var watcher = await ConnectAsync(Server.ConnectString);
        await using var writer = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("persistent");
        await writer.CreateAsync(root);
        using var stop = new CancellationTokenSource(Patience);
        await using var events = watcher.WatchAsync(root, AddWatchMode.Persistent, stop.Token).GetAsyncEnumerator(stop.Token);

        Task<bool> first = events.MoveNextAsync().AsTask();
        await WaitForServerWatchAsync(watcher, root);
        await writer.SetDataAsync(root, Bytes("1"));
        await writer.CreateAsync(root + "/child");
        await writer.SetDataAsync(root + "/child", Bytes("not reported: not recursive"));
        await writer.SetDataAsync(root, Bytes("2"));
        await writer.DeleteAsync(root + "/child");
        await writer.DeleteAsync(root);

        Assert.True(await first.Within());
        List<WatchedEvent> seen = [events.Current];
        for (int i = 0; i < 4; i++)
        {
            Assert.True(await events.MoveNextAsync().AsTask().Within());
            seen.Add(events.Current);
        }
        Assert.Equal(
            [
                new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, root),
                new WatchedEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, root),
                new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, root),
                new WatchedEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, root),
                new WatchedEvent(EventType.NodeDeleted, KeeperState.SyncConnected, root),
            ],
            seen);
    }

    [Fact]
    public async Task A_recursive_watch_streams_changes_of_the_whole_subtree()
    {
        await using var watcher = await ConnectAsync(Server.ConnectString);
        await using var writer = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("recursive");
        await writer.CreateAsync(root);
        using var stop = new CancellationTokenSource(Patience);
        var seen = new List<WatchedEvent>();

        Task consume = Task.Run(async () =>
        {
            await foreach (WatchedEvent e in watcher.WatchAsync(root, AddWatchMode.PersistentRecursive, stop.Token))
            {
                seen.Add(e);
                if (seen.Count == 5)
                {
                    return;
                }
            }
        });
        await WaitForServerWatchAsync(watcher, root);
        await writer.CreateAsync(root + "/a");
        await writer.CreateAsync(root + "/a/b");
        await writer.SetDataAsync(root + "/a/b", Bytes("x"));
        await writer.DeleteAsync(root + "/a/b");
        await writer.SetDataAsync(root, Bytes("y"));
        await consume.Within();

        Assert.Equal(
            [
                new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, root + "/a"),
                new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, root + "/a/b"),
                new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, root + "/a/b"),
                new WatchedEvent(EventType.NodeDeleted, KeeperState.SyncConnected, root + "/a/b"),
                new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, root),
            ],
            seen);
        // Leaving the stream removed the watch on the server too.
        Assert.False(await watcher.CheckWatchesAsync(root, WatcherType.Any));
    }

    [Fact]
    public async Task Removing_a_watcher_tells_it_and_silences_it()
    {
        await using var watcher = await ConnectAsync(Server.ConnectString);
        await using var writer = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("remove-watch");
        await writer.CreateAsync(root);
        var removed = new EventLog();
        var kept = new EventLog();

        await watcher.GetDataAsync(root, removed.Watcher);
        await watcher.GetDataAsync(root, kept.Watcher);
        Assert.True(await watcher.CheckWatchesAsync(root, WatcherType.Data));
        Assert.False(await watcher.CheckWatchesAsync(root, WatcherType.Children));
        await watcher.RemoveWatchesAsync(root, removed.Watcher, WatcherType.Data);
        await Assert.ThrowsAsync<NoWatcherException>(() => watcher.RemoveWatchesAsync(root, removed.Watcher, WatcherType.Data));
        await writer.SetDataAsync(root, Bytes("changed"));
        await FenceAsync(watcher, writer, root);

        Assert.Equal([new WatchedEvent(EventType.DataWatchRemoved, KeeperState.SyncConnected, root)], removed.All);
        Assert.Equal([new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, root)], kept.All);
    }

    [Fact]
    public async Task Removing_all_watches_removes_them_on_the_server()
    {
        await using var watcher = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("remove-all");
        await watcher.CreateAsync(root);
        var log = new EventLog();

        await watcher.GetChildrenAsync(root, log.Watcher);
        await watcher.RemoveAllWatchesAsync(root, WatcherType.Children);

        Assert.Equal(new WatchedEvent(EventType.ChildWatchRemoved, KeeperState.SyncConnected, root), await log.NextAsync());
        Assert.False(await watcher.CheckWatchesAsync(root, WatcherType.Children));
        await Assert.ThrowsAsync<NoWatcherException>(() => watcher.RemoveAllWatchesAsync(root, WatcherType.Children));
    }

    /// <summary>
    /// Waits until every notification for changes <paramref name="writer"/> made so far has reached
    /// <paramref name="watcher"/>'s watchers: the server notifies in zxid order and the client runs
    /// callbacks in order, so once a watch on a later change fires, the earlier ones have too.
    /// </summary>
    internal static async Task FenceAsync(ZooKeeperClient watcher, ZooKeeperClient writer, string root)
    {
        string fence = $"{root}-fence-{Guid.NewGuid():N}";
        var log = new EventLog();
        Assert.Null(await watcher.ExistsAsync(fence, log.Watcher));
        await writer.CreateAsync(fence, null, Acl.OpenUnsafe, CreateMode.Ephemeral);
        await log.NextAsync();
    }

    /// <summary>A stream registers its watch when first enumerated; wait until the server holds it.</summary>
    private static async Task WaitForServerWatchAsync(ZooKeeperClient client, string path)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (!await client.CheckWatchesAsync(path, WatcherType.Any, deadline.Token))
        {
            await Task.Yield();
        }
    }
}
