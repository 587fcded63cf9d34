namespace Colony.IntegrationTests.ZooKeeper;

/// <summary>
/// mntr's ensemble lines, which monitoring built for ZooKeeper reads (a leader's synced followers, each server's
/// peer state, its file descriptors), on a real 3-node cluster.
/// </summary>
[Collection(ZooKeeperClusterCollection.Name)]
public sealed class ZooKeeperMonitorTests(ZooKeeperClusterFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Mntr_reports_the_ensemble_as_a_ZooKeeper_leader_and_its_followers_do()
    {
        var cluster = fixture.Cluster;
        ulong leader = await cluster.WaitForLeaderAsync();
        string leading = await LocalCluster.WaitForAsync(() => cluster.FourLetterWordAsync(leader, "mntr"),
            m => Value(m, "zk_synced_followers") == "2", Bound, "the leader to count two synced followers");

        Assert.Equal("leading - broadcast", Value(leading, "zk_peer_state"));
        Assert.Equal("2", Value(leading, "zk_learners"));
        Assert.Equal("0", Value(leading, "zk_synced_observers"));
        Assert.Equal("0", Value(leading, "zk_pending_syncs"));
        Assert.Equal("3", Value(leading, "zk_quorum_size"));
        Assert.True(long.Parse(Value(leading, "zk_leader_uptime")!, System.Globalization.CultureInfo.InvariantCulture) >= 0);
        Assert.True(long.Parse(Value(leading, "zk_uptime")!, System.Globalization.CultureInfo.InvariantCulture) >= long.Parse(Value(leading, "zk_leader_uptime")!, System.Globalization.CultureInfo.InvariantCulture));
        long open = long.Parse(Value(leading, "zk_open_file_descriptor_count")!, System.Globalization.CultureInfo.InvariantCulture);
        long limit = long.Parse(Value(leading, "zk_max_file_descriptor_count")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(open, 3, limit);

        foreach (ulong follower in cluster.Ids.Where(id => id != leader))
        {
            string following = await cluster.FourLetterWordAsync(follower, "mntr") ?? "";
            Assert.Equal("following - broadcast", Value(following, "zk_peer_state"));
            Assert.Equal("3", Value(following, "zk_quorum_size"));
            Assert.Null(Value(following, "zk_synced_followers")); // a leader's line only, as in ZooKeeper
        }
    }

    private static string? Value(string mntr, string key) =>
        mntr.Split('\n').Select(line => line.Split('\t')).FirstOrDefault(parts => parts.Length == 2 && parts[0] == key)?[1];
}
