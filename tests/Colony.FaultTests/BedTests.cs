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

    [Fact]
    public async Task A_client_beside_an_isolated_node_gets_no_write_acknowledged_while_the_majoritys_clients_do()
    {
        // Client host 1 stands beside node 1, client host 2 beside node 2.
        await using var bed = TestBed.Create(new BedOptions { Nodes = 3, ClientHosts = 2 });
        await bed.WaitForLeaderAsync(Bound);
        var (minority, majority) = (bed.ClientHosts[0], bed.ClientHosts[1]);
        Assert.Equal((1, 2), (minority.Beside, majority.Beside));
        await using (var setup = await ZooKeeperClient.ConnectAsync(bed.ConnectString))
        {
            await setup.CreateAsync("/sides", Encoding.UTF8.GetBytes("before"), Acl.OpenUnsafe);
        }
        var options = new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(20) };
        await using var cutOff = await ZooKeeperClient.ConnectAsync(bed.ConnectString, minority.Apply(options));
        await using var withMajority = await ZooKeeperClient.ConnectAsync(bed.ConnectString, majority.Apply(options));
        Assert.Equal("before", Encoding.UTF8.GetString((await cutOff.GetDataAsync("/sides")).Data));

        bed.Partition(Cuts.Isolate(1, 3));
        // The partition is real for the client host too: node 2 cannot be reached from host 1, and still can from host 2.
        await Assert.ThrowsAnyAsync<Exception>(() => ConnectOnceAsync(minority, bed.Address(2)));
        (await ConnectOnceAsync(majority, bed.Address(2))).Dispose();

        // The minority side's write gets no answer while the cut lasts, whichever node 1 is; the majority's is acknowledged.
        var minorityWrite = cutOff.SetDataAsync("/sides", Encoding.UTF8.GetBytes("minority"));
        await WaitAsync(async () =>
        {
            try
            {
                await withMajority.SetDataAsync("/sides", Encoding.UTF8.GetBytes("majority")).WaitAsync(TimeSpan.FromSeconds(3));
                return true;
            }
            catch (Exception e) when (e is ZooKeeperException or TimeoutException)
            {
                return false; // a new leader is still being elected
            }
        }, "the majority's write to be acknowledged");
        Assert.False(minorityWrite.IsCompletedSuccessfully, "a client cut off with a minority got a write acknowledged");
        output.WriteLine($"the minority's write is {minorityWrite.Status} while the majority's was acknowledged");
        bed.HealNetwork();
        _ = minorityWrite.ContinueWith(t => t.Exception, TaskScheduler.Default); // its outcome after the heal is either
    }

    /// <summary>One TCP connection from <paramref name="host"/> to a node's ZooKeeper port, or an exception within 2 s.</summary>
    private static async Task<System.Net.Sockets.Socket> ConnectOnceAsync(ClientHost host, string address)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        return await host.ConnectAsync(new System.Net.DnsEndPoint(address, TestBed.ZooKeeperPort), timeout.Token);
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
