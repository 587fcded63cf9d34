using Colony.Client;
using Colony.Coordination;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.ZooKeeper;

/// <summary>
/// Read-only mode: a node cut off from its quorum keeps serving clients that accept a read-only
/// session, refuses their writes with NotReadOnly, refuses other clients, and goes back to read-write
/// when the quorum returns.
/// </summary>
public sealed class ZooKeeperReadOnlyTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly Dictionary<string, object> Settings = new() { ["TickTimeMs"] = 500, ["ReadOnlyAfterMs"] = 1000 };

    [Fact]
    public async Task A_node_without_quorum_serves_read_only_sessions_and_refuses_their_writes()
    {
        await using var cluster = new LocalCluster(3, coordination: Settings);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        await cluster.WaitForLeaderAsync();
        await cluster.WaitUntilZooKeeperServesAsync();
        await using (var writer = await ZooKeeperClient.ConnectAsync(cluster.ConnectString))
        {
            await writer.CreateAsync("/ro", "latest"u8.ToArray(), Acl.OpenUnsafe);
            await writer.SyncAsync("/ro");
        }
        ulong survivor = cluster.Ids.First();
        // The survivor must have applied the write before it is cut off.
        await LocalCluster.WaitForAsync(() => cluster.StatusAsync(survivor), s => s.Applied >= s.Commit && s.Commit > 0, Bound, "the survivor to catch up");
        foreach (ulong id in cluster.Ids.Where(id => id != survivor))
        {
            cluster.Kill(id);
        }
        await LocalCluster.WaitForAsync(() => cluster.FourLetterWordAsync(survivor, "isro"), answer => answer == "ro", Bound, "the survivor to turn read-only");

        await using var reader = await ZooKeeperClient.ConnectAsync(cluster.ZooKeeperAddress(survivor), new ZooKeeperClientOptions { ReadOnly = true });
        Assert.Equal(KeeperState.ConnectedReadOnly, reader.State);
        var (data, _) = await reader.GetDataAsync("/ro");
        Assert.Equal("latest"u8.ToArray(), data);
        await Assert.ThrowsAsync<NotReadOnlyException>(() => reader.SetDataAsync("/ro", "x"u8.ToArray()));
        await Assert.ThrowsAsync<NotReadOnlyException>(() => reader.CreateAsync("/ro/child", null, Acl.OpenUnsafe));
        Assert.Contains("read-only", await cluster.FourLetterWordAsync(survivor, "mntr") ?? "", StringComparison.Ordinal);

        // A client that does not accept read-only is turned away rather than given a session that cannot write.
        await Assert.ThrowsAnyAsync<Exception>(() => ZooKeeperClient.ConnectAsync(cluster.ZooKeeperAddress(survivor),
            new ZooKeeperClientOptions { ConnectTimeout = TimeSpan.FromSeconds(3), SessionTimeout = TimeSpan.FromSeconds(3) }));

        foreach (ulong id in cluster.Ids.Where(id => id != survivor))
        {
            cluster.Start(id);
        }
        await LocalCluster.WaitForAsync(() => cluster.FourLetterWordAsync(survivor, "isro"), answer => answer == "rw", Bound, "the survivor to turn read-write");
        await using var again = await ZooKeeperClient.ConnectAsync(cluster.ZooKeeperAddress(survivor));
        await again.SetDataAsync("/ro", "after"u8.ToArray());
        logs.Pass();
    }

    [Fact]
    public async Task Kazoo_reads_in_read_only_mode_and_writes_again_after_the_heal()
    {
        await using var cluster = new LocalCluster(3, coordination: Settings);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        await cluster.WaitForLeaderAsync();
        await cluster.WaitUntilZooKeeperServesAsync();
        await using (var writer = await ZooKeeperClient.ConnectAsync(cluster.ConnectString))
        {
            await writer.CreateAsync("/kazoo-ro", "latest"u8.ToArray(), Acl.OpenUnsafe);
        }
        ulong survivor = cluster.Ids.First();
        await LocalCluster.WaitForAsync(() => cluster.StatusAsync(survivor), s => s.Applied >= s.Commit && s.Commit > 0, Bound, "the survivor to catch up");
        foreach (ulong id in cluster.Ids.Where(id => id != survivor))
        {
            cluster.Kill(id);
        }
        await LocalCluster.WaitForAsync(() => cluster.FourLetterWordAsync(survivor, "isro"), answer => answer == "ro", Bound, "the survivor to turn read-only");

        await using var kazoo = PythonScript.Start("readonly.py", "--host", cluster.ZooKeeperAddress(survivor), "--path", "/kazoo-ro");
        Assert.Equal("STATE CONNECTED_RO", await kazoo.WaitForLineAsync(l => l.StartsWith("STATE", StringComparison.Ordinal) || l.StartsWith("FAIL", StringComparison.Ordinal), Bound, "kazoo to connect"));
        Assert.Equal("READ latest", await kazoo.WaitForLineAsync(l => l.StartsWith("READ", StringComparison.Ordinal) || l.StartsWith("FAIL", StringComparison.Ordinal), Bound, "kazoo's read"));
        Assert.Equal("WRITE NotReadOnly", await kazoo.WaitForLineAsync(l => l.StartsWith("WRITE", StringComparison.Ordinal) || l.StartsWith("FAIL", StringComparison.Ordinal), Bound, "kazoo's refused write"));

        foreach (ulong id in cluster.Ids.Where(id => id != survivor))
        {
            cluster.Start(id);
        }
        await kazoo.SendLineAsync("healed");
        string written = await kazoo.WaitForLineAsync(l => l.StartsWith("WRITE ok", StringComparison.Ordinal) || l.StartsWith("FAIL", StringComparison.Ordinal), TimeSpan.FromSeconds(90), "kazoo to write after the heal");
        Assert.StartsWith("WRITE ok", written, StringComparison.Ordinal);
        Assert.Equal(0, await kazoo.WaitForExitAsync(Bound));
        logs.Pass();
    }
}
