using System.Diagnostics;
using Colony.Coordination;
using Colony.Coordination.Protocol;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.ZooKeeper;

/// <summary>
/// The leader's cleanups, end to end: an emptied container and an expired TTL node are deleted
/// through the log on every node; a container that never had a child and a TTL node that still
/// has one are left alone.
/// </summary>
[Collection(ZooKeeperClusterCollection.Name)]
public sealed class ZooKeeperCleanupTests(ZooKeeperClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task An_emptied_container_and_an_expired_ttl_node_are_deleted_and_the_others_kept()
    {
        using var logs = fixture.Cluster.DumpLogsOnFailure(output, tailLines: 60);
        string root = $"{ZooKeeperClusterFixture.Root}/cleanup-{Guid.NewGuid():N}";
        using var client = await fixture.ConnectAsync(fixture.Follower);
        Assert.Equal(ErrorCode.Ok, (await client.CreateAsync(root, null)).Error);

        Assert.Equal(ErrorCode.Ok, await CreateAsync(client, OpCode.CreateContainer, new CreateRequest($"{root}/emptied", null, Acl.OpenUnsafe, CreateMode.Container)));
        Assert.Equal(ErrorCode.Ok, (await client.CreateAsync($"{root}/emptied/child", null)).Error);
        Assert.Equal(ErrorCode.Ok, await CreateAsync(client, OpCode.CreateContainer, new CreateRequest($"{root}/never-used", null, Acl.OpenUnsafe, CreateMode.Container)));
        Assert.Equal(ErrorCode.Ok, await CreateAsync(client, OpCode.CreateTtl, new CreateTtlRequest($"{root}/short-lived", null, Acl.OpenUnsafe, CreateMode.PersistentWithTtl, 300)));
        Assert.Equal(ErrorCode.Ok, await CreateAsync(client, OpCode.CreateTtl, new CreateTtlRequest($"{root}/parent-ttl", null, Acl.OpenUnsafe, CreateMode.PersistentWithTtl, 300)));
        Assert.Equal(ErrorCode.Ok, (await client.CreateAsync($"{root}/parent-ttl/child", null)).Error);
        Assert.Equal(ErrorCode.Ok, await client.DeleteAsync($"{root}/emptied/child"));

        await GoneAsync(client, $"{root}/emptied");
        await GoneAsync(client, $"{root}/short-lived");
        // One more cleanup round has certainly run once both are gone; these must still be there.
        await GoneAsync(client, await CreateExpiringAsync(client, $"{root}/marker"));
        Assert.Equal(ErrorCode.Ok, (await client.ExistsAsync($"{root}/never-used")).Error);
        Assert.Equal(ErrorCode.Ok, (await client.ExistsAsync($"{root}/parent-ttl")).Error);

        foreach (ulong id in fixture.Cluster.Ids)
        {
            using var reader = await fixture.ConnectAsync(id);
            Assert.Equal(ErrorCode.Ok, await reader.SyncAsync(root));
            Assert.Equal(["never-used", "parent-ttl"], (await reader.GetChildrenAsync(root)).Children.Order(StringComparer.Ordinal));
            await reader.CloseSessionAsync();
        }
        await client.CloseSessionAsync();
        logs.Pass();
    }

    private static async Task<string> CreateExpiringAsync(RawZooKeeperClient client, string path)
    {
        Assert.Equal(ErrorCode.Ok, await CreateAsync(client, OpCode.CreateTtl, new CreateTtlRequest(path, null, Acl.OpenUnsafe, CreateMode.PersistentWithTtl, 1)));
        return path;
    }

    private static async Task<ErrorCode> CreateAsync<T>(RawZooKeeperClient client, OpCode type, T request)
        where T : IJuteWritable
    {
        int xid = await client.SendAsync(type, request);
        return (await client.ReadReplyAsync(xid)).Header.Err;
    }

    /// <summary>Polls the node until the znode is gone (the leader's cleanup runs every second).</summary>
    private static async Task GoneAsync(RawZooKeeperClient client, string path)
    {
        var clock = Stopwatch.StartNew();
        while ((await client.ExistsAsync(path)).Error != ErrorCode.NoNode)
        {
            Assert.True(clock.Elapsed < Patience, $"{path} still exists after {Patience.TotalSeconds} s");
            await Task.Delay(100); // polling the server's state, not a stand-in for synchronisation
        }
    }
}
