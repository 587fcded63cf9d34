using Colony.Client.Recipes;
using static Colony.Client.Tests.TestSupport;

namespace Colony.Client.Tests.Recipes;

/// <summary>The counter, the barrier and the queue.</summary>
public abstract class CoordinationRecipesContract(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    [Fact]
    public async Task Concurrent_counter_changes_are_never_lost()
    {
        const int Clients = 4;
        const int Adds = 5;
        string path = UniqueRoot("counter");
        await using var reader = await ConnectAsync(Server.ConnectString);
        Assert.Equal(10, await new AtomicCounter(reader, path, initialValue: 10).GetAsync());

        async Task AddAsync()
        {
            await using var client = await ConnectAsync(Server.ConnectString);
            var counter = new AtomicCounter(client, path, initialValue: 10);
            for (int i = 0; i < Adds; i++)
            {
                (long before, long after) = await counter.AddAsync(2);
                Assert.Equal(before + 2, after);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => AddAsync())).Within();

        await reader.SyncAsync(path);
        Assert.Equal(10 + (Clients * Adds * 2), await new AtomicCounter(reader, path, initialValue: 10).GetAsync());
        Assert.Equal((50L, 47L), await new AtomicCounter(reader, path).AddAsync(-3));
        Assert.Equal("47", Text((await reader.GetDataAsync(path)).Data));
    }

    [Fact]
    public async Task A_barrier_holds_waiters_until_it_is_removed()
    {
        string path = UniqueRoot("barrier");
        await using var owner = await ConnectAsync(Server.ConnectString);
        await using var waiter = await ConnectAsync(Server.ConnectString);
        var barrier = new DistributedBarrier(owner, path);
        Assert.True(await new DistributedBarrier(waiter, path).WaitAsync(TimeSpan.FromSeconds(5)));

        await barrier.CreateAsync();
        await waiter.SyncAsync(path);
        Assert.False(await new DistributedBarrier(waiter, path).WaitAsync(TimeSpan.FromMilliseconds(200)));
        Task<bool> waiting = new DistributedBarrier(waiter, path).WaitAsync(Patience);
        Assert.False(waiting.IsCompleted);

        Assert.True(await barrier.RemoveAsync());

        Assert.True(await waiting.Within());
        Assert.False(await barrier.RemoveAsync());
    }

    [Fact]
    public async Task A_double_barrier_lets_members_in_together_and_out_together()
    {
        const int Members = 3;
        string path = UniqueRoot("double-barrier");
        var clients = new List<ZooKeeperClient>();
        try
        {
            for (int i = 0; i < Members; i++)
            {
                clients.Add(await ConnectAsync(Server.ConnectString));
            }
            DoubleBarrier[] barriers = [.. clients.Select((c, i) => new DoubleBarrier(c, path, Members, $"member-{i}"))];

            Task firstIn = barriers[0].EnterAsync();
            Task secondIn = barriers[1].EnterAsync();
            await RecipeTestSupport.WaitUntilAsync(async () => await clients[2].ExistsAsync(path) is { NumChildren: 2 }, "two members to enter");
            Assert.False(firstIn.IsCompleted);
            Assert.False(secondIn.IsCompleted);
            await barriers[2].EnterAsync().Within();
            await Task.WhenAll(firstIn, secondIn).Within();

            Task firstOut = barriers[0].LeaveAsync();
            Task secondOut = barriers[1].LeaveAsync();
            await RecipeTestSupport.WaitUntilAsync(async () => (await clients[2].GetChildrenAsync(path)).All(c => c != "ready") && (await clients[2].GetChildrenAsync(path)).Count <= 2, "the first members to start leaving");
            // Member 2 is still in: whoever is lowest waits for it, and the others wait for the lowest.
            Assert.False(firstOut.IsCompleted);
            Assert.False(secondOut.IsCompleted);
            await barriers[2].LeaveAsync().Within();
            await Task.WhenAll(firstOut, secondOut).Within();

            Assert.Empty(await clients[2].GetChildrenAsync(path));
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
    public async Task A_queue_serves_by_priority_then_arrival_and_hands_each_item_out_once()
    {
        string path = UniqueRoot("queue");
        await using var producer = await ConnectAsync(Server.ConnectString);
        var queue = new DistributedQueue(producer, path);
        Assert.Null(await queue.PollAsync());
        foreach (string item in new[] { "a", "b", "c" })
        {
            await queue.PutAsync(Bytes(item));
        }
        await queue.PutAsync(Bytes("urgent"), priority: 1);
        Assert.Equal(4, await queue.CountAsync());

        Assert.Equal("urgent", Text((await queue.PollAsync())!));
        Assert.Equal("a", Text((await queue.PollAsync())!));

        // Competing consumers: every remaining item goes to exactly one of them.
        for (int i = 0; i < 20; i++)
        {
            await queue.PutAsync(Bytes($"item-{i:00}"));
        }
        var taken = new System.Collections.Concurrent.ConcurrentBag<string>();
        async Task ConsumeAsync()
        {
            await using var consumer = await ConnectAsync(Server.ConnectString);
            var mine = new DistributedQueue(consumer, path);
            while (await mine.PollAsync() is { } item)
            {
                taken.Add(Text(item));
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => ConsumeAsync())).Within();

        Assert.Equal(["b", "c", .. Enumerable.Range(0, 20).Select(i => $"item-{i:00}")], taken.Order(StringComparer.Ordinal));
        Assert.Equal(0, await queue.CountAsync());
    }

    [Fact]
    public async Task Taking_from_an_empty_queue_waits_for_the_next_item()
    {
        string path = UniqueRoot("queue-take");
        await using var producer = await ConnectAsync(Server.ConnectString);
        await using var consumer = await ConnectAsync(Server.ConnectString);
        Task<byte[]> take = new DistributedQueue(consumer, path).TakeAsync();
        await Recipes.RecipeTestSupport.WaitUntilAsync(async () => await producer.ExistsAsync(path) is not null, "the queue to exist");
        Assert.False(take.IsCompleted);

        await new DistributedQueue(producer, path).PutAsync(Bytes("hello"));

        Assert.Equal("hello", Text(await take.Within()));
    }
}
