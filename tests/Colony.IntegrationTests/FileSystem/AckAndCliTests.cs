using System.Text.Json;
using Colony.Client.FileSystem;
using Xunit.Abstractions;
using static Colony.IntegrationTests.FileSystem.Fs;

namespace Colony.IntegrationTests.FileSystem;

/// <summary>Acknowledgement modes, and the CLI's globbing cat and JSON transfer reports.</summary>
public class AckAndCliTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Ack_one_and_quorum_writes_complete_and_the_leader_fills_in_the_other_replicas()
    {
        using var env = NodeEnvironment.FastRepair();
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        await cluster.WaitForLeaderAsync();
        using var fs = cluster.FileSystem();
        await WaitForDataNodesAsync(fs, 3);

        byte[] one = RandomBytes(Block * 2 + 3, 91);
        byte[] quorum = RandomBytes(Block + 5, 92);
        await WriteAsync(fs, "/ack/one", one, Small() with { Ack = FsAck.One });
        // Right after the close, some blocks may have fewer than 3 replicas; they are readable all the same.
        Assert.Equal(one, await ReadAllAsync(fs, "/ack/one"));
        await WriteAsync(fs, "/ack/quorum", quorum, Small() with { Ack = FsAck.Quorum });
        Assert.Equal(quorum, await ReadAllAsync(fs, "/ack/quorum"));

        var healthy = await WaitHealthyAsync(fs, "the leader to copy the replicas the short pipelines skipped");
        Assert.Equal(3 + 2, healthy.Blocks);
        Assert.All(ReplicaMap(cluster).Values, holders => Assert.Equal(3, holders.Count));
        logs.Pass();
    }

    [Fact]
    public async Task Cat_expands_a_glob_in_name_order_and_put_and_get_report_json()
    {
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        await cluster.WaitForLeaderAsync();
        using (var fs = cluster.FileSystem())
        {
            await WaitForDataNodesAsync(fs, 3);
            // Written out of order, with a non-matching neighbour and a matching directory, both left out.
            foreach (string name in (string[])["part-00002", "part-00000", "part-00001", "_SUCCESS"])
            {
                await WriteAsync(fs, $"/out/{name}", System.Text.Encoding.ASCII.GetBytes($"<{name}>"), Small());
            }
            await fs.MkdirsAsync("/out/part-dir");
        }
        var env = new Dictionary<string, string> { ["COLONY_SECRET_FILE"] = cluster.SecretFile };
        string[] target = ["--cluster", cluster.HttpAddresses];

        var (code, text) = await ColonyCli.RunAsync(env, ["fs", "cat", "/out/part-*", .. target]);
        Assert.True(code == 0, text);
        Assert.Equal("<part-00000><part-00001><part-00002>", text.Trim());

        var (none, why) = await ColonyCli.RunAsync(env, ["fs", "cat", "/out/nothing-*", .. target]);
        Assert.NotEqual(0, none);
        Assert.Contains("no files match", why, StringComparison.Ordinal);

        string local = Path.Combine(Path.GetTempPath(), $"colony-json-{Guid.NewGuid():N}");
        byte[] data = RandomBytes(Block + 17, 93);
        await File.WriteAllBytesAsync(local, data);
        try
        {
            var (put, putText) = await ColonyCli.RunAsync(env, ["fs", "put", local, "/json/file", "--block-size", "1M", "--ack", "quorum", "--json", .. target]);
            Assert.True(put == 0, putText);
            using (var report = JsonDocument.Parse(putText.Trim().Split('\n')[^1]))
            {
                Assert.Equal("put", report.RootElement.GetProperty("operation").GetString());
                Assert.Equal(data.Length, report.RootElement.GetProperty("bytes").GetInt64());
            }
            var (get, getText) = await ColonyCli.RunAsync(env, ["fs", "get", "/json/file", local + ".back", "--json", .. target]);
            Assert.True(get == 0, getText);
            using (var report = JsonDocument.Parse(getText.Trim().Split('\n')[^1]))
            {
                Assert.Equal(data.Length, report.RootElement.GetProperty("bytes").GetInt64());
            }
            Assert.Equal(data, await File.ReadAllBytesAsync(local + ".back"));

            var (bad, badText) = await ColonyCli.RunAsync(env, ["fs", "put", local, "/json/other", "--ack", "some", .. target]);
            Assert.NotEqual(0, bad);
            output.WriteLine(badText);
        }
        finally
        {
            File.Delete(local);
            File.Delete(local + ".back");
        }
        logs.Pass();
    }
}

/// <summary>Draining a data node: its replicas move elsewhere, then it can go without under-replicating anything.</summary>
public class DecommissionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_drain_survives_a_leader_failover_and_the_drained_node_can_then_be_stopped()
    {
        // Copies at 512 KiB/s per source: the drain takes seconds, so the leader dies in the middle of it.
        using var env = NodeEnvironment.FastRepair(("ReplicationBytesPerSecond", "524288"));
        await using var cluster = new LocalCluster(4);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        ulong leader = await cluster.WaitForLeaderAsync();
        using var fs = cluster.FileSystem();
        await WaitForDataNodesAsync(fs, 4);
        byte[] data = RandomBytes(Block * 6, 95);
        await WriteAsync(fs, "/drain/file", data, Small(3));
        await WaitHealthyAsync(fs, "the new file's replicas");
        ulong victim = cluster.Ids.First(id => id != leader && Replicas(cluster, id).Count > 0);
        string victimId = victim.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var envVars = new Dictionary<string, string> { ["COLONY_SECRET_FILE"] = cluster.SecretFile };
        var (code, text) = await ColonyCli.RunAsync(envVars, ["node", "decommission", victimId, "--cluster", cluster.HttpAddresses]);
        Assert.True(code == 0, text);
        var draining = (await fs.DataNodesAsync()).Single(n => n.Id == victim);
        Assert.Equal("decommissioning", draining.State);

        // The leader dies mid-drain; it comes back as a plain node (its disk holds replicas the drain needs).
        cluster.Kill(leader);
        ulong next = await cluster.WaitForLeaderAsync(cluster.Ids.Where(id => id != leader), excluding: leader);
        cluster.Start(leader);
        output.WriteLine($"leader {leader} killed mid-drain of {victim}; {next} leads");

        // Nobody repeats the command: the new leader read it from the log.
        await LocalCluster.WaitForAsync(async () => await TryDataNodesAsync(fs), nodes => nodes.Any(n => n.Id == victim && n.State == "decommissioned")
            && nodes.Count(n => n.State == "alive") == 3, Patience, "the drain to finish under the new leader");
        var (listed, listing) = await ColonyCli.RunAsync(envVars, ["fs", "datanodes", "--cluster", cluster.HttpAddresses]);
        Assert.True(listed == 0, listing);
        Assert.Contains("decommissioned", listing, StringComparison.Ordinal);

        // Every block has 3 replicas without the drained node, on disk and in fsck's count.
        Assert.All(ReplicaMap(cluster).Values, holders => Assert.True(holders.Count(h => h != victim) >= 3));
        var fsck = await WaitHealthyAsync(fs, "fsck after the drain");
        Assert.Equal(fsck.Blocks, fsck.Healthy);
        cluster.Kill(victim);
        Assert.Equal(data, await ReadAllAsync(fs, "/drain/file"));
        fsck = await WaitHealthyAsync(fs, "fsck with the drained node gone");
        Assert.Equal(0, fsck.UnderReplicated);

        // Recommissioning puts it back in the list of targets.
        (code, text) = await ColonyCli.RunAsync(envVars, ["node", "recommission", victimId, "--cluster", cluster.HttpAddresses]);
        Assert.True(code == 0, text);
        Assert.DoesNotContain(await fs.DataNodesAsync(), n => n.Id == victim && n.State.StartsWith("decommission", StringComparison.Ordinal));
        logs.Pass();
    }
}
