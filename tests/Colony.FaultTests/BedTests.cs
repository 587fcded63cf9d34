using System.Text;
using Colony.Client;
using Colony.Coordination;
using Colony.FaultTests.Bed;
using Colony.FaultTests.Nemeses;
using Xunit.Abstractions;

namespace Colony.FaultTests;

/// <summary>The bed itself: separate hosts that a partition really separates, and a heal that really heals.</summary>
public sealed class BedTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Isolating_the_leader_elects_another_among_the_rest_and_the_heal_reunites_them()
    {
        await using var bed = TestBed.Create(new BedOptions { Nodes = 3 });
        int leader = await bed.WaitForLeaderAsync(Bound);
        output.WriteLine($"nodes at {bed.ConnectString}; node {leader} leads");

        await using (var client = await ZooKeeperClient.ConnectAsync(bed.ConnectString))
        {
            await client.CreateAsync("/bed", Encoding.UTF8.GetBytes("before"), Acl.OpenUnsafe);
        }

        bed.Partition(Cuts.Isolate(leader, 3));
        var rest = bed.Nodes.Where(n => n != leader).ToList();
        int next = await bed.WaitForLeaderAsync(Bound, rest, excluding: leader);
        Assert.NotEqual(leader, next);
        // The old leader cannot hear the new one: it does not follow it.
        var old = await bed.StatusAsync(leader);
        Assert.NotNull(old);
        Assert.NotEqual((ulong)next, old.Leader);

        // A write through the majority side is acknowledged while the old leader is cut off.
        await using (var client = await ZooKeeperClient.ConnectAsync(bed.ZooKeeperAddress(next)))
        {
            await client.SetDataAsync("/bed", Encoding.UTF8.GetBytes("during"));
        }

        bed.HealNetwork();
        await WaitAsync(async () => (await bed.StatusAsync(leader))?.Leader is { } l && l != 0 && l != (ulong)leader, "the old leader to follow again");
        await using (var client = await ZooKeeperClient.ConnectAsync(bed.ZooKeeperAddress(leader), new ZooKeeperClientOptions { ShuffleServers = false }))
        {
            await client.SyncAsync("/bed");
            var (data, _) = await client.GetDataAsync("/bed");
            Assert.Equal("during", Encoding.UTF8.GetString(data));
        }
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }
            await Task.Delay(50); // polling external processes
        }
        throw new TimeoutException($"timed out waiting for {what}");
    }
}
