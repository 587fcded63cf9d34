using Colony.Coordination;
using static Colony.Client.Tests.TestSupport;

namespace Colony.Client.Tests;

/// <summary>
/// Keeping a session across connection loss: pings, reconnects, resuming, expiry. These tests cut
/// connections with a proxy and kill servers, so their fixture must be theirs alone.
/// </summary>
public abstract class SessionContract(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    [Fact]
    public async Task An_idle_session_pings_and_stays_alive()
    {
        await using var proxy = new TcpProxy(Server.ServerAddress(0));
        var log = new EventLog(nodeEventsOnly: false);
        // 6 s: the client gives up on a server silent for 2/3 of it, and a JVM on a busy 2-core
        // machine can pause for a second or two; a shorter timeout tests the machine, not the client.
        await using var client = await ConnectAsync(proxy.Address, new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(6), DefaultWatcher = log.Watcher });
        long sessionId = client.SessionId;
        long sent = proxy.ClientBytes;

        // Four 12-byte pings, one per third of the timeout: idle for longer than the session timeout, and alive.
        await proxy.WaitForClientBytesAsync(sent + (4 * 12), Patience);

        Assert.Equal(KeeperState.SyncConnected, client.State);
        Assert.Equal([new WatchedEvent(EventType.None, KeeperState.SyncConnected, null)], log.All);
        Assert.NotNull(await client.ExistsAsync("/"));
        Assert.Equal(sessionId, client.SessionId);
    }

    [Fact]
    public async Task Requests_outstanding_when_the_connection_drops_fail_with_connection_loss_and_the_client_reconnects()
    {
        await using var proxy = new TcpProxy(Server.ServerAddress(0));
        var log = new EventLog(nodeEventsOnly: false);
        await using var client = await ConnectAsync(proxy.Address, new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(20), DefaultWatcher = log.Watcher });
        await log.NextAsync(KeeperState.SyncConnected);
        long sessionId = client.SessionId;

        proxy.HoldReplies();
        long sent = proxy.ClientBytes;
        Task<Stat?> outstanding = client.ExistsAsync("/");
        await proxy.WaitForClientBytesAsync(sent + 1, Patience);
        proxy.DropConnections();
        proxy.ReleaseReplies();

        await Assert.ThrowsAsync<ConnectionLossException>(() => outstanding).Within();
        await log.NextAsync(KeeperState.Disconnected);
        await log.NextAsync(KeeperState.SyncConnected);
        Assert.NotNull(await client.ExistsAsync("/"));
        Assert.Equal(sessionId, client.SessionId);
    }

    [Fact]
    public async Task Requests_made_while_disconnected_wait_for_the_reconnect()
    {
        await using var proxy = new TcpProxy(Server.ServerAddress(0));
        var log = new EventLog(nodeEventsOnly: false);
        await using var client = await ConnectAsync(proxy.Address, new ZooKeeperClientOptions { DefaultWatcher = log.Watcher });
        string root = UniqueRoot("offline");

        proxy.StopListening();
        proxy.DropConnections();
        await log.NextAsync(KeeperState.Disconnected);
        Task<string> create = client.CreateAsync(root, "queued");
        Assert.False(create.IsCompleted);
        proxy.StartListening();

        Assert.Equal(root, await create.Within());
        Assert.Equal(KeeperState.SyncConnected, client.State);
    }

    [Fact]
    public async Task Another_client_resumes_the_session_with_its_id_and_password()
    {
        await using var proxy = new TcpProxy(Server.ServerAddress(0));
        await using var first = await ConnectAsync(proxy.Address);
        string root = UniqueRoot("resume");
        string node = await first.CreateAsync(root, mode: CreateMode.Ephemeral);
        proxy.StopListening();
        proxy.DropConnections();

        await using var second = await ConnectAsync(Server.ConnectString, new ZooKeeperClientOptions
        {
            SessionTimeout = TimeSpan.FromSeconds(20),
            SessionId = first.SessionId,
            SessionPassword = first.SessionPassword,
        });

        Assert.Equal(first.SessionId, second.SessionId);
        await second.SyncAsync(root); // the second server may not have applied the create yet
        Assert.Equal([node], await second.GetEphemeralsAsync());
        Assert.Equal(first.SessionId, (await second.ExistsAsync(node))?.EphemeralOwner);
    }

    [Fact]
    public async Task A_wrong_password_does_not_resume_the_session()
    {
        await using var first = await ConnectAsync(Server.ConnectString);
        var options = new ZooKeeperClientOptions { SessionId = first.SessionId, SessionPassword = new byte[16], ConnectTimeout = TimeSpan.FromSeconds(10) };

        await Assert.ThrowsAsync<SessionExpiredException>(() => ZooKeeperClient.ConnectAsync(Server.ConnectString, options)).Within();

        // ZooKeeper closes the session's current connection before it checks the password, so the
        // first client may lose its connection; it must get it back, with the same session.
        Assert.NotNull(await ExistsAcrossConnectionLossAsync(first, "/").Within());
        Assert.Equal(KeeperState.SyncConnected, first.State);
    }

    private static async Task<Stat?> ExistsAcrossConnectionLossAsync(ZooKeeperClient client, string path)
    {
        while (true)
        {
            try
            {
                return await client.ExistsAsync(path);
            }
            catch (ConnectionLossException)
            {
                // The client reconnects by itself; the next request waits for it.
            }
        }
    }

    [Fact]
    public async Task A_session_closed_elsewhere_expires_and_stops_the_client()
    {
        await using var proxy = new TcpProxy(Server.ServerAddress(0));
        var log = new EventLog(nodeEventsOnly: false);
        await using var first = await ConnectAsync(proxy.Address, new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(20), DefaultWatcher = log.Watcher });
        var expired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        first.StateChanged += (_, e) =>
        {
            if (e.State == KeeperState.Expired)
            {
                expired.TrySetResult();
            }
        };
        string root = UniqueRoot("expire");
        await first.CreateAsync(root);
        var watchEvents = new EventLog(nodeEventsOnly: false);
        await first.GetDataAsync(root, watchEvents.Watcher);
        using var stop = new CancellationTokenSource(Patience);
        IAsyncEnumerator<WatchedEvent> stream = first.WatchAsync(root, AddWatchMode.Persistent, stop.Token).GetAsyncEnumerator(stop.Token);
        Task<bool> streamNext = stream.MoveNextAsync().AsTask();
        await WaitForServerWatchAsync(first, root);

        proxy.StopListening();
        proxy.DropConnections();
        await log.NextAsync(KeeperState.Disconnected);
        var second = await ConnectAsync(Server.ConnectString, new ZooKeeperClientOptions { SessionId = first.SessionId, SessionPassword = first.SessionPassword });
        await second.CloseAsync();
        proxy.StartListening();

        await expired.Task.Within();
        Assert.Equal(KeeperState.Expired, first.State);
        await log.NextAsync(KeeperState.Expired);
        await watchEvents.NextAsync(KeeperState.Expired);
        await Assert.ThrowsAsync<SessionExpiredException>(() => first.GetDataAsync(root));
        await Assert.ThrowsAsync<SessionExpiredException>(() => streamNext).Within();
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task After_the_server_restarts_the_session_resumes_with_its_watches_and_credentials()
    {
        var log = new EventLog(nodeEventsOnly: false);
        // Only the server that is killed and restarted: the client must come back to it.
        await using var client = await ConnectAsync(Server.ServerAddress(0), new ZooKeeperClientOptions
        {
            SessionTimeout = TimeSpan.FromSeconds(15),
            // A restarting server may accept a connection before it serves handshakes; a short attempt
            // retries soon instead of waiting the whole session timeout on that one connection.
            ConnectTimeout = TimeSpan.FromSeconds(3),
            DefaultWatcher = log.Watcher,
        });
        await log.NextAsync(KeeperState.SyncConnected);
        long sessionId = client.SessionId;
        string root = UniqueRoot("restart");
        await client.AddAuthAsync(DigestAuth.Scheme, DigestAuth.Credentials("carol", "pw"));
        await client.CreateAsync(root, Bytes("before"), [new Acl(Perms.All, DigestAuth.Id("carol", "pw"))]);
        string kids = await client.CreateAsync(root + "/kids", null, Acl.OpenUnsafe);
        string ephemeral = await client.CreateAsync(root + "-ephemeral", mode: CreateMode.Ephemeral);
        var dataWatch = new EventLog();
        var childWatch = new EventLog();
        await client.GetDataAsync(root, dataWatch.Watcher);
        // Not on the recursively watched path itself: ZooKeeper 3.8 re-registers a recursive watch
        // as a child watch too, and that hides a one-shot child watch on the same path.
        await client.GetChildrenAsync(kids, childWatch.Watcher);
        using var stop = new CancellationTokenSource(Patience);
        IAsyncEnumerator<WatchedEvent> stream = client.WatchAsync(root, AddWatchMode.PersistentRecursive, stop.Token).GetAsyncEnumerator(stop.Token);
        Task<bool> streamNext = stream.MoveNextAsync().AsTask();
        await WaitForServerWatchAsync(client, root);

        await Server.KillAsync(0);
        await log.NextAsync(KeeperState.Disconnected);
        Task<Stat?> queued = client.ExistsAsync(ephemeral);
        await Server.RestartAsync(0);
        try
        {
            await log.NextAsync(KeeperState.SyncConnected);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; last connection error: {client.LastConnectionError}", e);
        }

        Assert.Equal(sessionId, client.SessionId);
        Assert.NotNull(await queued.Within());
        // A change made after the reconnect fires the re-registered watches, and the reader is
        // still the authenticated user the ACL admits.
        await using var other = await ConnectAsync(Server.ConnectString);
        await other.AddAuthAsync(DigestAuth.Scheme, DigestAuth.Credentials("carol", "pw"));
        await other.SetDataAsync(root, Bytes("after"));
        await other.CreateAsync(kids + "/child", null, Acl.OpenUnsafe);

        Assert.Equal(new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, root), await dataWatch.NextAsync());
        Assert.Equal(new WatchedEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, kids), await childWatch.NextAsync());
        Assert.True(await streamNext.Within());
        Assert.Equal(new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, root), stream.Current);
        Assert.True(await stream.MoveNextAsync().AsTask().Within());
        Assert.Equal(new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, kids + "/child"), stream.Current);
        Assert.Equal("after", Text((await client.GetDataAsync(root)).Data));
        await stream.DisposeAsync();
    }

    private static async Task WaitForServerWatchAsync(ZooKeeperClient client, string path)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (!await client.CheckWatchesAsync(path, WatcherType.Any, deadline.Token))
        {
            await Task.Yield();
        }
    }
}
