using Colony.Client;
using Colony.Coordination;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.ZooKeeper;

/// <summary>
/// Local sessions: made without the log, they write through it all the same, but own no ephemeral
/// unless upgrading is on (then the first ephemeral makes the session global), and they die with
/// their node. Node 1 upgrades, node 2 does not, node 3 has local sessions off (the default).
/// </summary>
public sealed class ZooKeeperLocalSessionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Local_sessions_write_refuse_or_upgrade_for_ephemerals_and_die_with_their_node()
    {
        var byNode = new Dictionary<ulong, IReadOnlyDictionary<string, object>>
        {
            [1] = new Dictionary<string, object> { ["LocalSessionsEnabled"] = true, ["LocalSessionsUpgradingEnabled"] = true },
            [2] = new Dictionary<string, object> { ["LocalSessionsEnabled"] = true },
        };
        await using var cluster = new LocalCluster(3, coordination: new Dictionary<string, object> { ["TickTimeMs"] = 500 }, coordinationByNode: byNode);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        await cluster.WaitForLeaderAsync();
        await cluster.WaitUntilZooKeeperServesAsync();

        // Without upgrading: the session is only node 2's, its writes commit, its ephemerals are refused.
        await using var local = await ZooKeeperClient.ConnectAsync(cluster.ZooKeeperAddress(2));
        Assert.Contains("zk_local_sessions\t1", await cluster.FourLetterWordAsync(2, "mntr") ?? "", StringComparison.Ordinal);
        Assert.Contains("zk_global_sessions\t0", await cluster.FourLetterWordAsync(3, "mntr") ?? "", StringComparison.Ordinal);
        await local.CreateAsync("/by-local", "x"u8.ToArray(), Acl.OpenUnsafe);
        await local.SetDataAsync("/by-local", "y"u8.ToArray());
        Assert.Equal("y"u8.ToArray(), (await local.GetDataAsync("/by-local")).Data);
        await Assert.ThrowsAsync<EphemeralOnLocalSessionException>(() => local.CreateAsync("/by-local/eph", null, Acl.OpenUnsafe, CreateMode.Ephemeral));
        Assert.Null(await local.ExistsAsync("/by-local/eph"));

        // With upgrading: the first ephemeral makes the session global, and it owns the ephemeral.
        await using var upgrading = await ZooKeeperClient.ConnectAsync(cluster.ZooKeeperAddress(1));
        Assert.Contains("zk_local_sessions\t1", await cluster.FourLetterWordAsync(1, "mntr") ?? "", StringComparison.Ordinal);
        await upgrading.CreateAsync("/by-upgraded", null, Acl.OpenUnsafe);
        string ephemeral = await upgrading.CreateAsync("/by-upgraded/eph", null, Acl.OpenUnsafe, CreateMode.Ephemeral);
        Assert.Equal(upgrading.SessionId, (await upgrading.ExistsAsync(ephemeral))!.Value.EphemeralOwner);
        Assert.Contains("zk_local_sessions\t0", await cluster.FourLetterWordAsync(1, "mntr") ?? "", StringComparison.Ordinal);
        Assert.Contains("zk_global_sessions\t1", await cluster.FourLetterWordAsync(3, "mntr") ?? "", StringComparison.Ordinal);

        // The global session's writes land everywhere; the local session's too.
        await using var elsewhere = await ZooKeeperClient.ConnectAsync(cluster.ZooKeeperAddress(3));
        await elsewhere.SyncAsync("/");
        Assert.Equal("y"u8.ToArray(), (await elsewhere.GetDataAsync("/by-local")).Data);
        Assert.NotNull(await elsewhere.ExistsAsync(ephemeral));

        // Node 2 dies: its local session cannot be resumed anywhere else.
        long id = local.SessionId;
        byte[] password = local.SessionPassword;
        cluster.Kill(2);
        await Assert.ThrowsAsync<SessionExpiredException>(() => ZooKeeperClient.ConnectAsync(cluster.ZooKeeperAddress(3),
            new ZooKeeperClientOptions { SessionId = id, SessionPassword = password, ConnectTimeout = TimeSpan.FromSeconds(10) }));
        logs.Pass();
    }
}
