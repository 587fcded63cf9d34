using System.Globalization;
using Colony.Client.FileSystem;
using Xunit.Abstractions;
using static Colony.IntegrationTests.FileSystem.Fs;

namespace Colony.IntegrationTests.FileSystem;

/// <summary>The balancer evens out disk use when an empty data node joins full ones.</summary>
public class BalancerTests(ITestOutputHelper output)
{
    private const long Capacity = 24L * 1024 * 1024;

    [Fact]
    public async Task An_empty_data_node_is_filled_until_disk_use_is_within_the_threshold_and_every_file_reads_back()
    {
        // Each data node may hold 24 MiB of replicas, so nodes sharing this machine's disk each show their own use.
        using var env = NodeEnvironment.FastRepair(
            ("BlockCapacityBytes", Capacity.ToString(CultureInfo.InvariantCulture)), ("BlockReserveBytes", "0"));
        await using var cluster = new LocalCluster(4);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        ulong leader = await cluster.WaitForLeaderAsync();
        ulong fresh = cluster.Ids.Last(id => id != leader);
        cluster.Kill(fresh);
        using var fs = cluster.FileSystem();
        await WaitForDataNodesAsync(fs, 3);

        // Three nodes hold every block (replication 3): 10 MiB each, 42 % of their capacity.
        var files = new Dictionary<string, byte[]>();
        for (int i = 0; i < 4; i++)
        {
            files[$"/balance/f{i}"] = RandomBytes(Block * 5 / 2, 200 + i);
            await WriteAsync(fs, $"/balance/f{i}", files[$"/balance/f{i}"], Small(3));
        }
        await WaitHealthyAsync(fs, "the files' replicas");

        // The fourth node comes (back) with an empty disk.
        cluster.Start(fresh);
        await WaitForDataNodesAsync(fs, 4);
        var envVars = new Dictionary<string, string> { ["COLONY_SECRET_FILE"] = cluster.SecretFile };
        var (code, text) = await ColonyCli.RunAsync(envVars, ["fs", "balance", "--threshold", "10", "--cluster", cluster.HttpAddresses]);
        output.WriteLine(text);
        Assert.True(code == 0, text);
        Assert.Contains("spread", text, StringComparison.Ordinal);

        var balanced = await LocalCluster.WaitForAsync(async () => await TryBalanceAsync(fs),
            pass => pass.Nodes.Count == 4 && pass.InFlight.Count == 0 && pass.SpreadPercent <= 10 && pass.MovesDone > 0,
            Patience, "disk use within 10 points");
        output.WriteLine(string.Join(", ", balanced.Nodes.Select(n => $"node {n.Id}: {n.UsedPercent:0.0}%")) + $"; {balanced.MovesDone} moves");
        Assert.NotEmpty(Replicas(cluster, fresh));

        // Moves never dropped a block below its factor, and every byte is where it should be.
        var fsck = await WaitHealthyAsync(fs, "fsck after balancing");
        Assert.Equal(fsck.Blocks, fsck.Healthy);
        foreach (var (path, data) in files)
        {
            Assert.Equal(data, await ReadAllAsync(fs, path));
        }
        string metrics = await cluster.Http.GetStringAsync(new Uri(cluster.HttpAddress(await cluster.WaitForLeaderAsync()) + "/metrics"));
        Assert.Contains("colony_fs_balancer_moves", metrics, StringComparison.Ordinal);
        logs.Pass();
    }

    private static async Task<FsBalance?> TryBalanceAsync(ColonyFileSystem fs)
    {
        try
        {
            return await fs.BalanceAsync();
        }
        catch (Exception e) when (e is FsException or HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }
}
