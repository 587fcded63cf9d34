using Colony.Coordination;
using static Colony.Client.Tests.TestSupport;

namespace Colony.Client.Tests;

/// <summary>Connecting, reading and writing nodes, and the errors they raise, against any ZooKeeper-protocol server.</summary>
public abstract class CrudContract(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    [Fact]
    public async Task Connect_creates_a_session_with_the_negotiated_timeout()
    {
        await using var client = await ConnectAsync(Server.ConnectString, new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(12) });

        Assert.Equal(KeeperState.SyncConnected, client.State);
        Assert.NotEqual(0, client.SessionId);
        Assert.Equal(16, client.SessionPassword.Length);
        Assert.Equal(TimeSpan.FromSeconds(12), client.SessionTimeout);
        Assert.NotNull(client.ConnectedServer);
    }

    [Fact]
    public async Task Create_read_update_delete_report_the_stat_fields()
    {
        await using var client = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("crud");
        await client.CreateAsync(root);

        string node = root + "/node";
        (string created, Stat stat) = await client.CreateWithStatAsync(node, Bytes("hello"), Acl.OpenUnsafe);
        Assert.Equal(node, created);
        Assert.Equal(0, stat.Version);
        Assert.Equal(0, stat.Cversion);
        Assert.Equal(0, stat.Aversion);
        Assert.Equal(5, stat.DataLength);
        Assert.Equal(0, stat.NumChildren);
        Assert.Equal(0, stat.EphemeralOwner);
        Assert.Equal(stat.Czxid, stat.Mzxid);
        Assert.Equal(stat.Czxid, stat.Pzxid);
        Assert.Equal(stat.Ctime, stat.Mtime);
        Assert.True(client.LastZxid >= stat.Czxid);

        (byte[] data, Stat read) = await client.GetDataAsync(node);
        Assert.Equal("hello", Text(data));
        Assert.Equal(stat, read);

        Stat updated = await client.SetDataAsync(node, Bytes("hello, world"), version: 0);
        Assert.Equal(1, updated.Version);
        Assert.Equal(stat.Czxid, updated.Czxid);
        Assert.True(updated.Mzxid > stat.Mzxid);
        Assert.True(updated.Mtime >= stat.Mtime);
        Assert.Equal(12, updated.DataLength);

        Stat? parent = await client.ExistsAsync(root);
        Assert.NotNull(parent);
        Assert.Equal(1, parent.Value.NumChildren);
        Assert.Equal(1, parent.Value.Cversion);
        Assert.Equal(stat.Czxid, parent.Value.Pzxid);
        Assert.Equal(["node"], await client.GetChildrenAsync(root));
        (IReadOnlyList<string> children, Stat parentStat) = await client.GetChildrenWithStatAsync(root);
        Assert.Equal(["node"], children);
        Assert.Equal(parent.Value, parentStat);

        await client.DeleteAsync(node, version: 1);
        Assert.Null(await client.ExistsAsync(node));
        Assert.Empty(await client.GetChildrenAsync(root));
    }

    [Fact]
    public async Task Null_and_empty_data_read_back_as_empty()
    {
        await using var client = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("empty");
        await client.CreateAsync(root, null, Acl.OpenUnsafe);

        (byte[] data, Stat stat) = await client.GetDataAsync(root);

        Assert.Empty(data);
        Assert.Equal(0, stat.DataLength);
    }

    [Fact]
    public async Task A_large_value_round_trips()
    {
        await using var client = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("large");
        byte[] value = new byte[1_000_000];
        new Random(7).NextBytes(value);

        await client.CreateAsync(root, value, Acl.OpenUnsafe);

        Assert.Equal(value, (await client.GetDataAsync(root)).Data);
    }

    [Fact]
    public async Task Errors_surface_as_typed_exceptions_carrying_the_path()
    {
        await using var client = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("errors");
        await client.CreateAsync(root);
        await client.CreateAsync(root + "/child");
        string ephemeral = await client.CreateAsync(root + "/ephemeral", mode: CreateMode.Ephemeral);

        var noNode = await Assert.ThrowsAsync<NoNodeException>(() => client.GetDataAsync(root + "/missing"));
        Assert.Equal(ErrorCode.NoNode, noNode.Code);
        Assert.Equal(root + "/missing", noNode.Path);
        await Assert.ThrowsAsync<NoNodeException>(() => client.CreateAsync(root + "/missing/child"));
        await Assert.ThrowsAsync<NoNodeException>(() => client.SetDataAsync(root + "/missing", null));
        await Assert.ThrowsAsync<NoNodeException>(() => client.DeleteAsync(root + "/missing"));
        await Assert.ThrowsAsync<NoNodeException>(() => client.GetChildrenAsync(root + "/missing"));

        var exists = await Assert.ThrowsAsync<NodeExistsException>(() => client.CreateAsync(root + "/child"));
        Assert.Equal(root + "/child", exists.Path);
        await Assert.ThrowsAsync<BadVersionException>(() => client.SetDataAsync(root + "/child", null, version: 5));
        await Assert.ThrowsAsync<BadVersionException>(() => client.DeleteAsync(root + "/child", version: 5));
        await Assert.ThrowsAsync<NotEmptyException>(() => client.DeleteAsync(root));
        await Assert.ThrowsAsync<NoChildrenForEphemeralsException>(() => client.CreateAsync(ephemeral + "/child"));
        await Assert.ThrowsAsync<InvalidAclException>(() => client.CreateAsync(root + "/bad-acl", null, [new Acl(Perms.All, new Id("digest", "no-colon"))]));
        // A TTL past ZooKeeper's 40-bit limit.
        await Assert.ThrowsAsync<BadArgumentsException>(() => client.CreateAsync(root + "/ttl", null, Acl.OpenUnsafe, CreateMode.PersistentWithTtl, ttl: 1L << 41));

        // The session is unharmed by all of that.
        Assert.Equal(KeeperState.SyncConnected, client.State);
        Assert.NotNull(await client.ExistsAsync(root + "/child"));
    }

    [Fact]
    public async Task Invalid_paths_and_arguments_fail_before_anything_is_sent()
    {
        await using var client = await ConnectAsync(Server.ConnectString);
        long zxid = client.LastZxid;

        await Assert.ThrowsAsync<ArgumentException>(() => client.GetDataAsync("relative"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.CreateAsync("/a/", "x"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.ExistsAsync("/a//b"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.DeleteAsync("/a/../b"));
        await Assert.ThrowsAsync<InvalidAclException>(() => client.CreateAsync("/a", null, []));
        await Assert.ThrowsAsync<ArgumentException>(() => client.CreateAsync("/a", null, Acl.OpenUnsafe, CreateMode.PersistentWithTtl));
        await Assert.ThrowsAsync<ArgumentException>(() => client.CreateAsync("/a", null, Acl.OpenUnsafe, CreateMode.Persistent, ttl: 10));
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetDataAsync("/", watch: true));

        Assert.Equal(zxid, client.LastZxid);
    }

    [Fact]
    public async Task Sequential_nodes_get_increasing_ten_digit_suffixes()
    {
        await using var client = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("sequential");
        await client.CreateAsync(root);

        string first = await client.CreateAsync(root + "/job-", mode: CreateMode.PersistentSequential);
        string second = await client.CreateAsync(root + "/job-", mode: CreateMode.EphemeralSequential);
        string third = await client.CreateAsync(root + "/", mode: CreateMode.PersistentSequential);

        Assert.Equal(root + "/job-0000000000", first);
        Assert.Equal(root + "/job-0000000001", second);
        Assert.Equal(root + "/0000000002", third);
        Assert.Equal(["0000000002", "job-0000000000", "job-0000000001"], (await client.GetChildrenAsync(root)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Ephemeral_nodes_belong_to_the_session_and_vanish_when_it_closes()
    {
        string root = UniqueRoot("ephemeral");
        await using var observer = await ConnectAsync(Server.ConnectString);
        await observer.CreateAsync(root);
        var owner = await ConnectAsync(Server.ConnectString);

        string node = await owner.CreateAsync(root + "/mine", mode: CreateMode.Ephemeral);
        string nested = await owner.CreateAsync(root + "/seq-", mode: CreateMode.EphemeralSequential);

        Stat? stat = await observer.ExistsAsync(node);
        Assert.Equal(owner.SessionId, stat?.EphemeralOwner);
        Assert.Equal([node, nested], (await owner.GetEphemeralsAsync(root)).Order(StringComparer.Ordinal));
        Assert.Empty(await observer.GetEphemeralsAsync());

        var deleted = new EventLog();
        Assert.NotNull(await observer.ExistsAsync(node, deleted.Watcher));
        await owner.CloseAsync();

        Assert.Equal(new WatchedEvent(EventType.NodeDeleted, KeeperState.SyncConnected, node), await deleted.NextAsync());
        Assert.Null(await observer.ExistsAsync(node));
        Assert.Null(await observer.ExistsAsync(nested));
        Assert.Equal(KeeperState.Closed, owner.State);
        await Assert.ThrowsAsync<ClientClosedException>(() => owner.ExistsAsync(root));
    }

    [Fact]
    public async Task Container_and_ttl_nodes_can_be_created()
    {
        await using var client = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("modes");
        await client.CreateAsync(root);

        (string container, Stat containerStat) = await client.CreateWithStatAsync(root + "/container", null, Acl.OpenUnsafe, CreateMode.Container);
        string ttl = await client.CreateAsync(root + "/ttl-", null, Acl.OpenUnsafe, CreateMode.PersistentSequentialWithTtl, ttl: 60_000);

        Assert.Equal(root + "/container", container);
        Assert.Equal(0, containerStat.Version);
        Assert.Equal(root + "/ttl-0000000001", ttl);
        Assert.NotNull(await client.ExistsAsync(ttl));
    }

    [Fact]
    public async Task GetAllChildrenNumber_counts_every_descendant()
    {
        await using var client = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("count");
        await client.CreateAsync(root);
        await client.CreateAsync(root + "/a");
        await client.CreateAsync(root + "/a/b");
        await client.CreateAsync(root + "/a/b/c");
        await client.CreateAsync(root + "/d");

        Assert.Equal(4, await client.GetAllChildrenNumberAsync(root));
        Assert.Equal(2, await client.GetAllChildrenNumberAsync(root + "/a"));
        Assert.Equal(0, await client.GetAllChildrenNumberAsync(root + "/d"));
    }

    [Fact]
    public async Task Sync_then_read_sees_another_clients_write()
    {
        await using var writer = await ConnectAsync(Server.ConnectString);
        await using var reader = await ConnectAsync(Server.ConnectString);
        string root = UniqueRoot("sync");
        await writer.CreateAsync(root, "written");

        await reader.SyncAsync(root);

        Assert.Equal("written", Text((await reader.GetDataAsync(root)).Data));
    }

    [Fact]
    public async Task WhoAmI_reports_the_connection_identity()
    {
        await using var client = await ConnectAsync(Server.ConnectString);

        IReadOnlyList<Colony.Coordination.Protocol.ClientInfo> identities = await client.WhoAmIAsync();

        Assert.Contains(identities, i => i.AuthScheme == "ip");
    }

    [Fact]
    public async Task Pipelined_requests_complete_in_order_within_the_outstanding_limit()
    {
        await using var client = await ConnectAsync(Server.ConnectString, new ZooKeeperClientOptions { MaxOutstandingRequests = 4 });
        string root = UniqueRoot("pipeline");
        await client.CreateAsync(root);

        Task<string>[] creates = [.. Enumerable.Range(0, 200).Select(_ => client.CreateAsync(root + "/n-", mode: CreateMode.PersistentSequential))];
        string[] paths = await Task.WhenAll(creates).Within();

        Assert.Equal(200, paths.Distinct().Count());
        Assert.Equal(200, (await client.GetChildrenAsync(root)).Count);
    }

    [Fact]
    public async Task A_chroot_makes_paths_relative_to_it()
    {
        string root = UniqueRoot("chroot");
        await using var plain = await ConnectAsync(Server.ConnectString);
        await plain.CreateAsync(root);
        await using var rooted = await ConnectAsync(Server.ConnectString + root);
        var created = new EventLog();

        Assert.Null(await rooted.ExistsAsync("/a", created.Watcher));
        string path = await rooted.CreateAsync("/a", "in chroot");
        string sequential = await rooted.CreateAsync("/s-", mode: CreateMode.EphemeralSequential);

        Assert.Equal("/a", path);
        Assert.Equal("/s-0000000001", sequential);
        Assert.Equal(new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, "/a"), await created.NextAsync());
        Assert.Equal("in chroot", Text((await plain.GetDataAsync(root + "/a")).Data));
        Assert.Equal(["a", "s-0000000001"], (await rooted.GetChildrenAsync("/")).Order(StringComparer.Ordinal));
        Assert.Equal(["/s-0000000001"], await rooted.GetEphemeralsAsync());
        Assert.Equal(root, rooted.Chroot);
    }

    [Fact]
    public async Task Connecting_fails_over_past_servers_that_refuse()
    {
        int dead = UnusedPort();
        await using var client = await ConnectAsync($"127.0.0.1:{dead},{Server.ConnectString}", new ZooKeeperClientOptions { ShuffleServers = false });

        Assert.Equal(KeeperState.SyncConnected, client.State);
        Assert.NotEqual(dead, client.ConnectedServer?.Port);
    }

    [Fact]
    public async Task Connecting_to_no_live_server_fails_with_connection_loss_in_time()
    {
        int dead = UnusedPort();
        var options = new ZooKeeperClientOptions { ConnectTimeout = TimeSpan.FromMilliseconds(700) };

        var error = await Assert.ThrowsAsync<ConnectionLossException>(() => ZooKeeperClient.ConnectAsync($"127.0.0.1:{dead}", options)).Within();

        Assert.Contains($"127.0.0.1:{dead}", error.Message, StringComparison.Ordinal);
    }

    private static int UnusedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
