using Colony.Testing;

namespace Colony.Compat.Tests;

/// <summary>
/// The compatibility suite against the reference: a three-server Apache ZooKeeper 3.8 ensemble.
/// These runs are what the golden transcripts were recorded from; they also check the ensemble
/// harness itself.
/// </summary>
public sealed class ReferenceZooKeeperEnsembleTests(ReferenceEnsembleTarget target)
    : ZooKeeperEnsembleCompatibilityTests(target), IClassFixture<ReferenceEnsembleTarget>
{
    private ReferenceZooKeeper ZooKeeper => target.ZooKeeper;

    [Fact]
    public async Task Ensemble_has_one_leader_and_the_other_servers_follow()
    {
        var modes = new List<ReferenceZooKeeperMode>();
        foreach (var id in ZooKeeper.ServerIds)
        {
            modes.Add(await ZooKeeper.ModeAsync(id));
        }
        Assert.Equal(3, modes.Count);
        Assert.Single(modes, m => m == ReferenceZooKeeperMode.Leader);
        Assert.Equal(2, modes.Count(m => m == ReferenceZooKeeperMode.Follower));

        var addresses = ZooKeeper.ConnectString.Split(',');
        Assert.Equal(3, addresses.Length);
        Assert.All(addresses, a => Assert.StartsWith("127.0.0.1:", a, StringComparison.Ordinal));
        Assert.Equal(ZooKeeper.ServerIds.Select(ZooKeeper.ClientAddress), addresses);
        Assert.All(addresses, a => Assert.InRange(int.Parse(a.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture), 23000, 23999));
    }

    [Fact]
    public async Task Killed_leader_is_replaced_and_rejoins_as_a_follower_after_a_restart()
    {
        var leader = await ZooKeeper.LeaderAsync();
        Assert.NotNull(leader);
        try
        {
            ZooKeeper.Kill(leader.Value);
            Assert.False(ZooKeeper.IsRunning(leader.Value));
            Assert.Equal("", await ZooKeeper.FourLetterWordAsync(leader.Value, "ruok"));

            await ZooKeeper.WaitUntilServingAsync();
            var next = await ZooKeeper.LeaderAsync();
            Assert.NotNull(next);
            Assert.NotEqual(leader, next);
        }
        finally
        {
            await ZooKeeper.RestartAsync(leader.Value);
        }
        Assert.Equal(ReferenceZooKeeperMode.Follower, await ZooKeeper.ModeAsync(leader.Value));
        Assert.Equal("imok", await ZooKeeper.FourLetterWordAsync(leader.Value, "ruok"));
    }
}
