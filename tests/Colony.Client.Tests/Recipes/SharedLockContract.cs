using Colony.Client.Recipes;
using static Colony.Client.Tests.Recipes.RecipeTestSupport;
using static Colony.Client.Tests.TestSupport;

namespace Colony.Client.Tests.Recipes;

/// <summary>The read-write lock and the semaphore: holds that several may share, within their rules.</summary>
public abstract class SharedLockContract(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    [Fact]
    public async Task Readers_overlap_a_writer_waits_for_them_and_later_readers_wait_for_the_writer()
    {
        string path = UniqueRoot("rwlock");
        await using var a = await ConnectAsync(Server.ConnectString);
        await using var b = await ConnectAsync(Server.ConnectString);
        await using var c = await ConnectAsync(Server.ConnectString);
        await using var d = await ConnectAsync(Server.ConnectString);
        var observer = new ReadWriteLock(a, path);
        LockHandle reader1 = await new ReadWriteLock(a, path, "reader1").AcquireReadAsync(Patience);
        LockHandle reader2 = await new ReadWriteLock(b, path, "reader2").AcquireReadAsync(Patience);
        Task<LockHandle> writer = new ReadWriteLock(c, path, "writer").AcquireWriteAsync(Patience);
        await WaitUntilAsync(async () => (await observer.GetContendersAsync()).Count == 3, "the writer to queue");
        Task<LockHandle> lateReader = new ReadWriteLock(d, path, "late-reader").AcquireReadAsync(Patience);
        await WaitUntilAsync(async () => (await observer.GetContendersAsync()).Count == 4, "the late reader to queue");

        Assert.Equal(["reader1", "reader2", "writer", "late-reader"], await observer.GetContendersAsync());
        Assert.False(writer.IsCompleted);
        Assert.False(lateReader.IsCompleted);

        await reader1.ReleaseAsync();
        Assert.False(writer.IsCompleted);
        await reader2.ReleaseAsync();
        LockHandle written = await writer.Within();
        // The late reader cannot get in while the writer holds: it queued behind it.
        Assert.False(lateReader.IsCompleted);
        await written.ReleaseAsync();
        await using LockHandle read = await lateReader.Within();

        Assert.True(read.FencingToken > written.FencingToken);
    }

    [Fact]
    public async Task A_write_lock_excludes_a_plain_lock_on_the_same_path()
    {
        // WriteLock and Lock share the __lock__ node name, as in kazoo.
        string path = UniqueRoot("rwlock-exclusive");
        await using var a = await ConnectAsync(Server.ConnectString);
        await using var b = await ConnectAsync(Server.ConnectString);
        await using LockHandle written = await new ReadWriteLock(a, path).AcquireWriteAsync(Patience);

        await Assert.ThrowsAsync<TimeoutException>(() => new DistributedLock(b, path).AcquireAsync(TimeSpan.FromMilliseconds(200))).Within();
        await Assert.ThrowsAsync<TimeoutException>(() => new ReadWriteLock(b, path).AcquireReadAsync(TimeSpan.FromMilliseconds(200))).Within();
    }

    [Fact]
    public async Task A_semaphore_admits_at_most_its_lease_count_and_the_next_waiter_on_release()
    {
        string path = UniqueRoot("semaphore");
        var clients = new List<ZooKeeperClient>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                clients.Add(await ConnectAsync(Server.ConnectString));
            }
            var leases = new List<LockHandle>
            {
                await new DistributedSemaphore(clients[0], path, 2, "s0").AcquireAsync(Patience),
                await new DistributedSemaphore(clients[1], path, 2, "s1").AcquireAsync(Patience),
            };
            var observer = new DistributedSemaphore(clients[0], path, 2);
            // Waiters take turns on the semaphore's lock: the first in line holds it and watches the pool.
            var turns = new DistributedLock(clients[0], path + "-__lock__");
            Task<LockHandle> third = new DistributedSemaphore(clients[2], path, 2, "s2").AcquireAsync(Patience);
            await WaitUntilAsync(async () => (await turns.GetContendersAsync()).Count == 1, "the third to queue");
            Task<LockHandle> fourth = new DistributedSemaphore(clients[3], path, 2, "s3").AcquireAsync(Patience);
            await WaitUntilAsync(async () => (await turns.GetContendersAsync()).Count == 2, "the fourth to queue");

            Assert.Equal(["s0", "s1"], (await observer.GetHoldersAsync()).Order(StringComparer.Ordinal));
            Assert.Equal("2", Text((await clients[0].GetDataAsync(path)).Data));
            Assert.False(third.IsCompleted);

            await leases[0].ReleaseAsync();
            leases.Add(await third.Within());
            Assert.Equal(["s1", "s2"], (await observer.GetHoldersAsync()).Order(StringComparer.Ordinal));
            Assert.False(fourth.IsCompleted);
            await leases[1].ReleaseAsync();
            leases.Add(await fourth.Within());
            Assert.Equal(["s2", "s3"], (await observer.GetHoldersAsync()).Order(StringComparer.Ordinal));
            foreach (LockHandle lease in leases)
            {
                await lease.ReleaseAsync();
            }
            Assert.Empty(await observer.GetHoldersAsync());
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
    public async Task A_zero_timeout_tries_once_for_a_lease_and_for_a_shared_hold()
    {
        string pool = UniqueRoot("semaphore-try");
        string path = UniqueRoot("rw-try");
        await using var a = await ConnectAsync(Server.ConnectString);
        await using var b = await ConnectAsync(Server.ConnectString);
        LockHandle only = await new DistributedSemaphore(a, pool, 1, "a").AcquireAsync(Patience);

        await Assert.ThrowsAsync<TimeoutException>(() => new DistributedSemaphore(b, pool, 1, "b").AcquireAsync(TimeSpan.Zero)).Within();
        Assert.Equal(["a"], await new DistributedSemaphore(b, pool, 1).GetHoldersAsync());
        await only.ReleaseAsync();
        await using (await new DistributedSemaphore(b, pool, 1, "b").AcquireAsync(TimeSpan.Zero).Within())
        {
            Assert.Equal(["b"], await new DistributedSemaphore(a, pool, 1).GetHoldersAsync());
        }

        LockHandle writing = await new ReadWriteLock(a, path, "writer").AcquireWriteAsync(Patience);
        await Assert.ThrowsAsync<TimeoutException>(() => new ReadWriteLock(b, path, "reader").AcquireReadAsync(TimeSpan.Zero)).Within();
        await writing.ReleaseAsync();
        await using LockHandle reading = await new ReadWriteLock(b, path, "reader").AcquireReadAsync(TimeSpan.Zero).Within();
        await using LockHandle alsoReading = await new ReadWriteLock(a, path, "reader 2").AcquireReadAsync(TimeSpan.Zero).Within();
        Assert.False(reading.IsLost);
    }

    [Fact]
    public async Task A_semaphore_refuses_a_different_lease_count()
    {
        string path = UniqueRoot("semaphore-count");
        await using var client = await ConnectAsync(Server.ConnectString);
        await using LockHandle lease = await new DistributedSemaphore(client, path, 3).AcquireAsync(Patience);

        await Assert.ThrowsAsync<InvalidOperationException>(() => new DistributedSemaphore(client, path, 2).AcquireAsync(Patience));
    }
}
