using Colony.Client.Recipes;
using static Colony.Client.Tests.Recipes.RecipeTestSupport;
using static Colony.Client.Tests.TestSupport;

namespace Colony.Client.Tests.Recipes;

/// <summary>Leader election: one leader at a time, handed over on resignation and on a lost session.</summary>
public abstract class ElectionContract(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    [Fact]
    public async Task Exactly_one_contender_leads_and_resigning_passes_leadership_on_in_order()
    {
        string path = UniqueRoot("election");
        var clients = new List<ZooKeeperClient>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                clients.Add(await ConnectAsync(Server.ConnectString));
            }
            var observer = new LeaderElection(clients[0], path);
            using var stop = new CancellationTokenSource(Patience);
            await using IAsyncEnumerator<Leader?> changes = observer.ObserveAsync(stop.Token).GetAsyncEnumerator(stop.Token);
            Assert.True(await changes.MoveNextAsync());
            Assert.Null(changes.Current);

            var campaigns = new List<Task<Leadership>>();
            for (int i = 0; i < clients.Count; i++)
            {
                campaigns.Add(new LeaderElection(clients[i], path, $"candidate-{i}").CampaignAsync(stop.Token));
                int expected = i + 1;
                await WaitUntilAsync(async () => (await observer.GetContendersAsync()).Count == expected, "the candidate to join");
            }
            Leadership first = await campaigns[0].Within();
            Assert.Equal(["candidate-0", "candidate-1", "candidate-2"], await observer.GetContendersAsync());
            Assert.Equal(1, campaigns.Count(c => c.IsCompleted));
            Assert.Equal("candidate-0", (await observer.GetLeaderAsync())?.Identifier);
            Assert.True(await changes.MoveNextAsync());
            Assert.Equal(new Leader("candidate-0", first.NodePath), changes.Current);

            await first.ResignAsync();
            Leadership second = await campaigns[1].Within();
            Assert.True(await changes.MoveNextAsync());
            Assert.Equal("candidate-1", changes.Current?.Identifier);
            Assert.False(campaigns[2].IsCompleted);
            Assert.True(second.FencingToken > first.FencingToken);
            Assert.False(first.IsLost);

            await second.ResignAsync();
            await using Leadership third = await campaigns[2].Within();
            Assert.True(await changes.MoveNextAsync());
            Assert.Equal("candidate-2", changes.Current?.Identifier);
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
    public async Task When_the_leaders_session_ends_another_is_elected_and_the_old_leadership_is_lost()
    {
        string path = UniqueRoot("election-lost");
        var leaderClient = await ConnectAsync(Server.ConnectString);
        await using var other = await ConnectAsync(Server.ConnectString);
        Leadership leader = await new LeaderElection(leaderClient, path, "old").CampaignAsync().Within();
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        leader.LostToken.Register(() => lost.TrySetResult());
        Task<Leadership> next = new LeaderElection(other, path, "new").CampaignAsync();

        await leaderClient.CloseAsync();

        await lost.Task.Within();
        await using Leadership successor = await next.Within();
        Assert.True(leader.IsLost);
        Assert.False(successor.IsLost);
        Assert.True(successor.FencingToken > leader.FencingToken);
        Assert.Equal("new", (await new LeaderElection(other, path).GetLeaderAsync())?.Identifier);
        await leader.ResignAsync();
    }

    [Fact]
    public async Task Cancelling_a_campaign_leaves_the_election()
    {
        string path = UniqueRoot("election-cancel");
        await using var a = await ConnectAsync(Server.ConnectString);
        await using var b = await ConnectAsync(Server.ConnectString);
        await using Leadership leader = await new LeaderElection(a, path, "leader").CampaignAsync().Within();
        var election = new LeaderElection(b, path, "quitter");
        using var cancel = new CancellationTokenSource();
        Task<Leadership> campaign = election.CampaignAsync(cancel.Token);
        await WaitUntilAsync(async () => (await election.GetContendersAsync()).Count == 2, "the second candidate to join");

        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => campaign).Within();
        Assert.Equal(["leader"], await election.GetContendersAsync());
    }
}
