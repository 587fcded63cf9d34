using System.Text;
using Colony.Client.Recipes;
using Colony.Coordination;
using static Colony.Client.Tests.Recipes.RecipeTestSupport;
using static Colony.Client.Tests.TestSupport;

namespace Colony.Client.Tests.Recipes;

/// <summary>The exclusive lock and its fencing tokens, against a ZooKeeper-protocol server.</summary>
public abstract class LockContract(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    [Fact]
    public async Task Concurrent_increments_under_the_lock_lose_no_update_and_never_overlap()
    {
        const int Clients = 5;
        const int Rounds = 4;
        string root = UniqueRoot("lock-counter");
        await using var setup = await ConnectAsync(Server.ConnectString);
        await setup.CreateAsync(root, "0");
        int holders = 0;
        int overlaps = 0;

        async Task WorkAsync(int id)
        {
            await using var client = await ConnectAsync(Server.ConnectString);
            var mutex = new DistributedLock(client, root + "/lock", $"worker-{id}");
            for (int round = 0; round < Rounds; round++)
            {
                await using LockHandle held = await mutex.AcquireAsync(Patience);
                if (Interlocked.Increment(ref holders) > 1)
                {
                    Interlocked.Increment(ref overlaps);
                }
                await IncrementAsync(client, root, afterRead: async () => await Task.Yield());
                Interlocked.Decrement(ref holders);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Clients).Select(WorkAsync)).Within();

        Assert.Equal(0, overlaps);
        Assert.Equal(Clients * Rounds, await ReadCounterAsync(setup, root));
    }

    [Fact]
    public async Task Without_the_lock_the_same_increments_lose_updates()
    {
        // The control for the test above: the read-modify-write it protects really does race.
        const int Clients = 5;
        string root = UniqueRoot("nolock-counter");
        await using var setup = await ConnectAsync(Server.ConnectString);
        await setup.CreateAsync(root, "0");
        var everyoneRead = new Barrier(Clients);

        async Task WorkAsync()
        {
            await using var client = await ConnectAsync(Server.ConnectString);
            await IncrementAsync(client, root, afterRead: () => Task.Run(() => everyoneRead.SignalAndWait(Patience)));
        }

        await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => WorkAsync())).Within();

        Assert.Equal(1, await ReadCounterAsync(setup, root));
    }

    [Fact]
    public async Task Waiters_acquire_in_the_order_they_queued()
    {
        string path = UniqueRoot("lock-fifo");
        await using var first = await ConnectAsync(Server.ConnectString);
        var firstLock = new DistributedLock(first, path, "first");
        LockHandle held = await firstLock.AcquireAsync(Patience);
        var order = new List<string>();
        var clients = new List<ZooKeeperClient>();
        var waiters = new List<Task>();
        try
        {
            foreach (string name in new[] { "w1", "w2", "w3", "w4" })
            {
                ZooKeeperClient client = await ConnectAsync(Server.ConnectString);
                clients.Add(client);
                waiters.Add(Task.Run(async () =>
                {
                    await using LockHandle mine = await new DistributedLock(client, path, name).AcquireAsync(Patience);
                    lock (order)
                    {
                        order.Add(name);
                    }
                }));
                int expected = waiters.Count + 1;
                await WaitUntilAsync(async () => (await firstLock.GetContendersAsync()).Count == expected, $"{name} to queue");
            }
            Assert.Equal(["first", "w1", "w2", "w3", "w4"], await firstLock.GetContendersAsync());
            Assert.Empty(order);

            await held.ReleaseAsync();
            await Task.WhenAll(waiters).Within();

            Assert.Equal(["w1", "w2", "w3", "w4"], order);
        }
        finally
        {
            await held.DisposeAsync();
            foreach (ZooKeeperClient client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Each_waiter_watches_only_its_predecessor()
    {
        string path = UniqueRoot("lock-herd");
        var clients = new List<ZooKeeperClient>();
        var pending = new List<Task<LockHandle>>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                // One server: its wchp shows every watch these sessions hold.
                clients.Add(await ConnectAsync(Server.ServerAddress(0)));
            }
            LockHandle held = await new DistributedLock(clients[0], path).AcquireAsync(Patience);
            for (int i = 1; i < clients.Count; i++)
            {
                pending.Add(new DistributedLock(clients[i], path).AcquireAsync(Patience));
                int expected = i + 1;
                await WaitUntilAsync(async () => (await clients[0].GetChildrenAsync(path)).Count == expected, "the waiter to queue");
            }
            IReadOnlyList<string> queue = [.. (await clients[0].GetChildrenAsync(path)).OrderBy(c => c[^10..], StringComparer.Ordinal).Select(c => $"{path}/{c}")];
            string[] expectedWatched = [.. new[] { queue[0], queue[1], queue[2] }.Order(StringComparer.Ordinal)];
            Dictionary<string, List<string>> watched = [];
            await WaitUntilAsync(async () =>
            {
                watched = await WatchedPathsAsync(Server.ServerAddress(0), path);
                return watched.Count >= expectedWatched.Length;
            }, "the waiters' watches");

            Assert.Equal(expectedWatched, watched.Keys.Order(StringComparer.Ordinal));
            Assert.All(watched.Values, sessions => Assert.Single(sessions));
            Assert.Equal(3, watched.Values.SelectMany(s => s).Distinct().Count());
            Assert.DoesNotContain(queue[3], watched.Keys);
            Assert.DoesNotContain(path, watched.Keys);

            await held.ReleaseAsync();
            foreach (Task<LockHandle> next in pending)
            {
                await (await next.Within()).ReleaseAsync();
            }
        }
        finally
        {
            foreach (ZooKeeperClient client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_waiter_that_gives_up_mid_queue_does_not_let_the_one_behind_it_in()
    {
        string path = UniqueRoot("lock-give-up");
        // One server: its wchp shows every watch these sessions hold.
        await using var holder = await ConnectAsync(Server.ServerAddress(0));
        await using var quitter = await ConnectAsync(Server.ServerAddress(0));
        await using var last = await ConnectAsync(Server.ServerAddress(0));
        var holderLock = new DistributedLock(holder, path, "holder");
        await using LockHandle held = await holderLock.AcquireAsync(Patience);
        using var giveUp = new CancellationTokenSource();
        Task<LockHandle> quitting = new DistributedLock(quitter, path, "quitter").AcquireAsync(Patience, giveUp.Token);
        await WaitUntilAsync(async () => (await holderLock.GetContendersAsync()).Count == 2, "the quitter to queue");
        Task<LockHandle> waiting = new DistributedLock(last, path, "last").AcquireAsync(Patience);
        await WaitUntilAsync(async () => (await holderLock.GetContendersAsync()).Count == 3, "the last waiter to queue");

        // The quitter's node goes: the last waiter's predecessor is deleted, yet the holder is still ahead.
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => quitting).Within();
        string lastSession = $"0x{last.SessionId:x}";
        await WaitUntilAsync(async () =>
            (await WatchedPathsAsync(Server.ServerAddress(0), path)).TryGetValue(held.NodePath, out var sessions) && sessions.Contains(lastSession),
            "the last waiter to watch the holder");

        Assert.False(waiting.IsCompleted);
        Assert.Equal(["holder", "last"], await holderLock.GetContendersAsync());
        await held.ReleaseAsync();
        await using LockHandle second = await waiting.Within();
        Assert.True(second.FencingToken > held.FencingToken);
    }

    [Fact]
    public async Task Fencing_tokens_increase_strictly_across_holders()
    {
        string path = UniqueRoot("lock-fence");
        await using var a = await ConnectAsync(Server.ConnectString);
        await using var b = await ConnectAsync(Server.ConnectString);
        var tokens = new List<long>();
        for (int i = 0; i < 3; i++)
        {
            foreach (ZooKeeperClient client in new[] { a, b })
            {
                await using LockHandle held = await new DistributedLock(client, path).AcquireAsync(Patience);
                tokens.Add(held.FencingToken);
            }
        }
        // Deleting and re-creating the lock node resets sequence numbers, not zxids.
        await a.DeleteAsync(path);
        await using (LockHandle held = await new DistributedLock(b, path).AcquireAsync(Patience))
        {
            tokens.Add(held.FencingToken);
        }

        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
    }

    [Fact]
    public async Task A_timed_out_acquire_throws_and_leaves_no_node_behind()
    {
        string path = UniqueRoot("lock-timeout");
        await using var holder = await ConnectAsync(Server.ConnectString);
        await using var waiter = await ConnectAsync(Server.ConnectString);
        await using LockHandle held = await new DistributedLock(holder, path, "holder").AcquireAsync(Patience);

        await Assert.ThrowsAsync<TimeoutException>(() => new DistributedLock(waiter, path, "waiter").AcquireAsync(TimeSpan.FromMilliseconds(200))).Within();

        Assert.Equal(["holder"], await new DistributedLock(waiter, path).GetContendersAsync());
        Assert.False(held.IsLost);
    }

    [Fact]
    public async Task A_zero_timeout_tries_once_failing_at_once_while_the_lock_is_held_and_taking_it_when_free()
    {
        string path = UniqueRoot("lock-try");
        await using var holder = await ConnectAsync(Server.ConnectString);
        await using var trier = await ConnectAsync(Server.ConnectString);
        LockHandle held = await new DistributedLock(holder, path, "holder").AcquireAsync(Patience);

        var refused = await Assert.ThrowsAsync<TimeoutException>(() => new DistributedLock(trier, path, "trier").AcquireAsync(TimeSpan.Zero)).Within();
        Assert.Contains("without waiting", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["holder"], await new DistributedLock(trier, path).GetContendersAsync());
        Assert.False(held.IsLost);

        await held.ReleaseAsync();
        await using LockHandle taken = await new DistributedLock(trier, path, "trier").AcquireAsync(TimeSpan.Zero).Within();
        Assert.Equal(["trier"], await new DistributedLock(holder, path).GetContendersAsync());
    }

    [Fact]
    public async Task Release_is_idempotent_and_lets_the_next_waiter_in()
    {
        string path = UniqueRoot("lock-release");
        await using var a = await ConnectAsync(Server.ConnectString);
        await using var b = await ConnectAsync(Server.ConnectString);
        LockHandle held = await new DistributedLock(a, path).AcquireAsync(Patience);
        Task<LockHandle> next = new DistributedLock(b, path).AcquireAsync(Patience);

        await held.ReleaseAsync();
        await held.ReleaseAsync();
        await held.DisposeAsync();
        await using LockHandle second = await next.Within();

        Assert.True(held.IsReleased);
        Assert.False(held.IsLost);
        Assert.Null(await a.ExistsAsync(held.NodePath));
        Assert.NotNull(await a.ExistsAsync(second.NodePath));
    }

    [Fact]
    public async Task A_hold_survives_a_dropped_connection()
    {
        string path = UniqueRoot("lock-reconnect");
        await using var proxy = new TcpProxy(Server.ServerAddress(0));
        var log = new EventLog(nodeEventsOnly: false);
        await using var client = await ConnectAsync(proxy.Address, new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(20), DefaultWatcher = log.Watcher });
        await log.NextAsync(KeeperState.SyncConnected);
        await using LockHandle held = await new DistributedLock(client, path).AcquireAsync(Patience);

        proxy.DropConnections();
        await log.NextAsync(KeeperState.Disconnected);
        await log.NextAsync(KeeperState.SyncConnected);

        Assert.False(held.IsLost);
        Assert.Equal(client.SessionId, (await client.ExistsAsync(held.NodePath))?.EphemeralOwner);
    }

    [Fact]
    public async Task When_the_holders_session_expires_the_next_waiter_acquires_and_the_old_hold_is_lost()
    {
        string path = UniqueRoot("lock-expiry");
        await using var proxy = new TcpProxy(Server.ServerAddress(0));
        var log = new EventLog(nodeEventsOnly: false);
        await using var holder = await ConnectAsync(proxy.Address, new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(20), DefaultWatcher = log.Watcher });
        await using var waiter = await ConnectAsync(Server.ConnectString);
        LockHandle held = await new DistributedLock(holder, path, "holder").AcquireAsync(Patience);
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        held.LostToken.Register(() => lost.TrySetResult());
        Task<LockHandle> next = new DistributedLock(waiter, path, "waiter").AcquireAsync(Patience);
        await WaitUntilAsync(async () => (await new DistributedLock(waiter, path).GetContendersAsync()).Count == 2, "the waiter to queue");

        // Cut the holder off, then end its session from another connection: the server deletes its node.
        proxy.StopListening();
        proxy.DropConnections();
        await log.NextAsync(KeeperState.Disconnected);
        Assert.False(held.IsLost);
        var thief = await ConnectAsync(Server.ConnectString, new ZooKeeperClientOptions { SessionId = holder.SessionId, SessionPassword = holder.SessionPassword });
        await thief.CloseAsync();
        await using LockHandle second = await next.Within();
        proxy.StartListening();

        await lost.Task.Within();
        Assert.True(held.IsLost);
        Assert.True(second.FencingToken > held.FencingToken);
        Assert.False(second.IsLost);
        await held.ReleaseAsync();
        Assert.NotNull(await waiter.ExistsAsync(second.NodePath));
    }

    [Fact]
    public async Task A_disconnection_longer_than_the_session_timeout_counts_as_lost_before_the_client_hears_of_expiry()
    {
        string path = UniqueRoot("lock-long-disconnect");
        await using var proxy = new TcpProxy(Server.ServerAddress(0));
        var log = new EventLog(nodeEventsOnly: false);
        await using var client = await ConnectAsync(proxy.Address, new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(3), DefaultWatcher = log.Watcher });
        await log.NextAsync(KeeperState.SyncConnected);
        LockHandle held = await new DistributedLock(client, path).AcquireAsync(Patience);
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        held.LostToken.Register(() => lost.TrySetResult());

        proxy.StopListening();
        proxy.DropConnections();

        await lost.Task.Within();
        Assert.Equal(KeeperState.Disconnected, client.State);
        await held.DisposeAsync();
    }

    [Fact]
    public async Task Closing_the_client_loses_the_hold()
    {
        string path = UniqueRoot("lock-close");
        var client = await ConnectAsync(Server.ConnectString);
        LockHandle held = await new DistributedLock(client, path).AcquireAsync(Patience);

        await client.CloseAsync();

        Assert.True(held.LostToken.WaitHandle.WaitOne(Patience));
        await held.ReleaseAsync();
    }

    private static async Task IncrementAsync(ZooKeeperClient client, string counter, Func<Task> afterRead)
    {
        (byte[] data, _) = await client.GetDataAsync(counter);
        int value = int.Parse(Encoding.UTF8.GetString(data), System.Globalization.CultureInfo.InvariantCulture);
        await afterRead();
        // Deliberately not a versioned write: only the lock keeps this read-modify-write safe.
        await client.SetDataAsync(counter, Bytes((value + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static async Task<int> ReadCounterAsync(ZooKeeperClient client, string counter)
    {
        await client.SyncAsync(counter);
        return int.Parse(Text((await client.GetDataAsync(counter)).Data), System.Globalization.CultureInfo.InvariantCulture);
    }
}
