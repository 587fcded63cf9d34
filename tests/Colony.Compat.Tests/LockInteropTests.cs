using Colony.Client;
using Colony.Client.Recipes;

namespace Colony.Compat.Tests;

/// <summary>
/// kazoo's Lock, ReadLock and WriteLock and Colony's DistributedLock and ReadWriteLock use the same
/// znode layout, so on one path they are one lock: whichever holds it keeps the other waiting, in
/// both orders, on a Colony cluster.
/// </summary>
public sealed class LockInteropTests(ColonyTarget target) : IClassFixture<ColonyTarget>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_kazoo_holder_keeps_a_colony_contender_waiting_until_it_releases()
    {
        string path = $"/interop-kazoo-first-{Guid.NewGuid():N}";
        await using ZooKeeperClient client = await ZooKeeperClient.ConnectAsync(target.ConnectString);
        var mutex = new DistributedLock(client, path, "colony");
        Task<LockHandle>? colony = null;
        try
        {
            ScenarioResult result = await new ScenarioRunner(target.ConnectString).RunRecipeAsync("lock_interop", ["--root", path, "--mode", "kazoo-first"], async (request, cancellationToken) =>
            {
                if (request.StartsWith("QUEUE-BEHIND", StringComparison.Ordinal))
                {
                    colony = mutex.AcquireAsync(Patience, cancellationToken);
                    await WaitForContendersAsync(mutex, 2, cancellationToken);
                    return colony.IsCompleted ? "colony holds too" : "colony waits";
                }
                LockHandle held = await colony!.WaitAsync(Patience, cancellationToken);
                return held.IsLost ? "colony acquired a lost lock" : "colony holds";
            });

            Assert.True(result.Succeeded, result.Describe());
            Assert.Equal(
                """
                kazoo acquire -> True
                harness while kazoo holds: colony waits
                contenders: ['kazoo', 'colony']
                kazoo released
                harness after the release: colony holds

                """.ReplaceLineEndings("\n"),
                result.Transcript);
            Assert.Equal(["colony"], await mutex.GetContendersAsync());
        }
        finally
        {
            if (colony is { IsCompletedSuccessfully: true })
            {
                await (await colony).DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_colony_holder_keeps_a_kazoo_contender_waiting_until_it_releases()
    {
        string path = $"/interop-colony-first-{Guid.NewGuid():N}";
        await using ZooKeeperClient client = await ZooKeeperClient.ConnectAsync(target.ConnectString);
        var mutex = new DistributedLock(client, path, "colony");
        await using LockHandle held = await mutex.AcquireAsync(Patience);

        ScenarioResult result = await new ScenarioRunner(target.ConnectString).RunRecipeAsync("lock_interop", ["--root", path, "--mode", "colony-first"], async (request, cancellationToken) =>
        {
            bool stillMine = !held.IsLost && await client.ExistsAsync(held.NodePath, watcher: null, cancellationToken) is not null;
            await held.ReleaseAsync(cancellationToken);
            return stillMine ? "colony released" : "colony had lost the lock";
        });

        Assert.True(result.Succeeded, result.Describe());
        Assert.Equal(
            """
            contenders: ['colony']
            kazoo non-blocking acquire -> False
            kazoo queued, holding -> False
            harness: colony released
            kazoo acquire -> True
            contenders: ['kazoo']

            """.ReplaceLineEndings("\n"),
            result.Transcript);
        await client.SyncAsync(path); // kazoo's release may have gone through another server
        Assert.Empty(await mutex.GetContendersAsync());
    }

    [Fact]
    public async Task A_colony_reader_admits_kazoo_readers_and_keeps_kazoo_writers_out()
    {
        string path = $"/interop-colony-reads-{Guid.NewGuid():N}";
        await using ZooKeeperClient client = await ZooKeeperClient.ConnectAsync(target.ConnectString);
        await using LockHandle read = await new ReadWriteLock(client, path, "colony-reader").AcquireReadAsync(Patience);

        ScenarioResult result = await new ScenarioRunner(target.ConnectString).RunRecipeAsync("lock_interop", ["--root", path, "--mode", "colony-reads"]);

        Assert.True(result.Succeeded, result.Describe());
        Assert.Equal(
            """
            kazoo write lock, non-blocking -> False
            kazoo read lock, non-blocking -> True
            contenders: ['colony-reader', 'kazoo-reader']

            """.ReplaceLineEndings("\n"),
            result.Transcript);
        Assert.False(read.IsLost);
    }

    private static async Task WaitForContendersAsync(DistributedLock mutex, int count, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Patience);
        while ((await mutex.GetContendersAsync(deadline.Token)).Count != count)
        {
            await Task.Delay(20, deadline.Token);
        }
    }
}
