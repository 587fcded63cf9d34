using Colony.Client.Recipes;
using Colony.Coordination;
using static Colony.Client.Tests.Recipes.RecipeTestSupport;

namespace Colony.Client.Tests;

/// <summary>
/// Where code awaiting a request continues: on the connection's receiving thread while that is safe,
/// on the thread pool once a continuation has kept that thread (blocked on another reply, the classic
/// deadlock of a client that runs callers on its reader), and always on the pool when asked to.
/// Replies are held in a proxy until the awaiting code is parked, so a reply never beats the await
/// (which would then continue on the caller's thread, proving nothing). Test bodies run under
/// <see cref="Task.Run(Func{Task})"/>: the test framework's synchronization context would otherwise
/// take every continuation back to itself.
/// </summary>
[Collection(ColonyCollection.Name)]
public sealed class ContinuationTests(ColonyClusterOneNode server)
{
    [Fact]
    public Task An_awaited_reply_continues_on_the_receiving_thread() => Task.Run(async () =>
    {
        await using var proxy = new TcpProxy(server.ServerAddress(0));
        await using var client = await TestSupport.ConnectAsync(proxy.Address);

        Where continued = await ContinuationOfAsync(proxy, () => client.ExistsAsync("/"));

        Assert.StartsWith("zk-receive", continued.Name, StringComparison.Ordinal);
        Assert.False(continued.OnThreadPool);
    }).Within();

    [Fact]
    public Task A_continuation_blocked_on_another_reply_loses_the_thread_and_the_client_carries_on() => Task.Run(async () =>
    {
        await using var proxy = new TcpProxy(server.ServerAddress(0));
        await using var client = await TestSupport.ConnectAsync(proxy.Address);
        await using var bystander = await TestSupport.ConnectAsync(proxy.Address);
        string root = TestSupport.UniqueRoot("blocked");

        proxy.HoldReplies();
        Task<Stat?> first = client.ExistsAsync("/");
        Task<(Where, string)> blocking = BlockAfterAsync(first, () => client.CreateAsync(root, "made while blocked"));
        proxy.ReleaseReplies();
        var (blocked, created) = await blocking;

        Assert.StartsWith("zk-receive", blocked.Name, StringComparison.Ordinal);
        Assert.Equal(root, created);
        Assert.Equal("made while blocked", TestSupport.Text((await client.GetDataAsync(root)).Data));
        Assert.True((await ContinuationOfAsync(proxy, () => client.ExistsAsync(root))).OnThreadPool);
        // The policy is the client's own: another client still continues on its receiving thread.
        Assert.StartsWith("zk-receive", (await ContinuationOfAsync(proxy, () => bystander.ExistsAsync(root))).Name, StringComparison.Ordinal);
        await client.DeleteAsync(root);
    }).Within();

    [Fact]
    public Task Without_inline_continuations_an_awaited_reply_continues_on_the_thread_pool() => Task.Run(async () =>
    {
        await using var proxy = new TcpProxy(server.ServerAddress(0));
        await using var client = await ZooKeeperClient.ConnectAsync(proxy.Address, new ZooKeeperClientOptions { InlineContinuations = false });

        Where continued = await ContinuationOfAsync(proxy, () => client.ExistsAsync("/"));

        Assert.True(continued.OnThreadPool);
    }).Within();

    [Fact]
    public Task A_lock_waiter_woken_by_its_predecessor_continues_on_the_receiving_thread() => Task.Run(async () =>
    {
        var (holder, waiter, held, acquiring) = await WaiterBehindHolderAsync(TestSupport.UniqueRoot("woken-lock"));
        await using var holding = holder;
        await using var waiting = waiter;

        // Parked on the acquire before the release, so the watch event, not this thread, completes it.
        Task<(Where, LockHandle)> continued = ThreadAfterAsync(acquiring);
        await held.ReleaseAsync();
        var (where, handle) = await continued;

        Assert.StartsWith("zk-receive", where.Name, StringComparison.Ordinal);
        Assert.False(where.OnThreadPool);
        Assert.True(handle.FencingToken > held.FencingToken);
        await handle.ReleaseAsync();
    }).Within();

    [Fact]
    public Task A_woken_lock_waiter_that_blocks_on_another_reply_loses_the_thread_and_the_client_carries_on() => Task.Run(async () =>
    {
        string path = TestSupport.UniqueRoot("blocked-lock");
        var (holder, waiter, held, acquiring) = await WaiterBehindHolderAsync(path);
        await using var holding = holder;
        await using var waiting = waiter;

        Task<(Where, string)> blocking = BlockAfterAsync(acquiring, () => waiter.CreateAsync(path + "-note", "written while holding"));
        await held.ReleaseAsync();
        var (blocked, created) = await blocking;

        Assert.StartsWith("zk-receive", blocked.Name, StringComparison.Ordinal);
        Assert.Equal(path + "-note", created);
        Assert.Equal("written while holding", TestSupport.Text((await waiter.GetDataAsync(created)).Data));
        await waiter.DeleteAsync(created);
        await (await acquiring).ReleaseAsync();
    }).Within();

    /// <summary>
    /// One client holds the lock at <paramref name="path"/> and another waits for it, parked on its
    /// watch of the holder's node (seen in the server's watch list), so the release's event wakes it.
    /// </summary>
    private async Task<(ZooKeeperClient Holder, ZooKeeperClient Waiter, LockHandle Held, Task<LockHandle> Acquiring)> WaiterBehindHolderAsync(string path)
    {
        var holder = await TestSupport.ConnectAsync(server.ServerAddress(0));
        var waiter = await TestSupport.ConnectAsync(server.ServerAddress(0));
        LockHandle held = await new DistributedLock(holder, path).AcquireAsync();
        Task<LockHandle> acquiring = new DistributedLock(waiter, path).AcquireAsync();
        await WaitUntilAsync(async () => (await FourLetterWordAsync(server.ServerAddress(0), "wchp")).Contains(held.NodePath, StringComparison.Ordinal), $"a watch on {held.NodePath}");
        return (holder, waiter, held, acquiring);
    }

    private static async Task<(Where, T)> ThreadAfterAsync<T>(Task<T> task)
    {
        T result = await task;
        return (Where.Here, result);
    }

    private readonly record struct Where(string? Name, bool OnThreadPool)
    {
        public static Where Here => new(Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread);
    }

    /// <summary>Sends a request with its reply held, parks an await on it, then lets the reply through.</summary>
    private static async Task<Where> ContinuationOfAsync(TcpProxy proxy, Func<Task> request)
    {
        proxy.HoldReplies();
        Task<Where> continued = ThreadAfterAsync(request());
        proxy.ReleaseReplies();
        return await continued;
    }

    private static async Task<Where> ThreadAfterAsync(Task task)
    {
        await task;
        return Where.Here;
    }

    /// <summary>Awaits <paramref name="task"/>, then blocks the thread it continued on until <paramref name="next"/>'s reply.</summary>
    private static async Task<(Where, string)> BlockAfterAsync(Task task, Func<Task<string>> next)
    {
        await task;
        Where here = Where.Here;
#pragma warning disable xUnit1031 // blocking on purpose: that is what the client must survive
        return (here, next().GetAwaiter().GetResult());
#pragma warning restore xUnit1031
    }
}
