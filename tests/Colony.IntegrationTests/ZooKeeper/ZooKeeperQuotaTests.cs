using Xunit.Abstractions;

namespace Colony.IntegrationTests.ZooKeeper;

/// <summary>A hard quota, set through kazoo as zkCli sets one, refuses the excess on a real cluster.</summary>
public sealed class ZooKeeperQuotaTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_hard_count_quota_refuses_the_excess_through_kazoo()
    {
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 40);
        await cluster.WaitForLeaderAsync();
        await cluster.WaitUntilZooKeeperServesAsync();

        await using var script = PythonScript.Start(Path.Combine("..", "quota", "quota.py"), "--hosts", cluster.ConnectString, "--path", "/limited", "--count", "5");
        Assert.Equal(0, await script.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(["CREATED 4", "REFUSED", "USAGE count=5,bytes=0"], script.Output);

        // The .NET client knows the code.
        await using var client = await Colony.Client.ZooKeeperClient.ConnectAsync(cluster.ConnectString);
        var refused = await Assert.ThrowsAnyAsync<Colony.Client.ZooKeeperException>(() => client.CreateAsync("/limited/net", null, Colony.Coordination.Acl.OpenUnsafe));
        Assert.Equal(Colony.Coordination.ErrorCode.QuotaExceeded, refused.Code);
        logs.Pass();
    }
}
