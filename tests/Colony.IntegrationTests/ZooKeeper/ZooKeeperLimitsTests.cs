using System.Net;
using Colony.Coordination;
using Colony.Coordination.Protocol;
using Colony.IntegrationTests.Dashboard;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.ZooKeeper;

/// <summary>
/// The ZooKeeper port's limits against abuse, over real sockets: connections per client address, and
/// requests in flight per connection. Each limit slows or refuses the abuser and nobody else.
/// </summary>
[Collection(ZooKeeperClusterCollection.Name)]
public sealed class ZooKeeperLimitsTests(ZooKeeperClusterFixture fixture, ITestOutputHelper output)
{
    private const int MaxClientConnectionsPerIp = 60; // the node's default, as ZooKeeper's maxClientCnxns
    private const int MaxOutstandingPerConnection = 1000; // the node's default
    private static readonly string Root = ZooKeeperClusterFixture.Root;

    private ulong Node => fixture.Follower;

    private string Address => fixture.Address(Node);

    [Fact]
    public async Task The_61st_connection_from_one_address_is_closed_while_the_60th_and_other_addresses_are_served()
    {
        using var logs = fixture.Cluster.DumpLogsOnFailure(output, tailLines: 60);
        var crowded = IPAddress.Parse("127.0.61.1");
        double refusedBefore = await MetricAsync("colony_zookeeper_connections_refused_total", "reason=\"per_ip\"");
        var clients = new List<RawZooKeeperClient>();
        try
        {
            for (int i = 0; i < MaxClientConnectionsPerIp; i++)
            {
                clients.Add(await RawZooKeeperClient.ConnectAsync(Address, from: crowded));
            }

            // One more from the same address: closed before it is read, with no session (the reset can even
            // reach the client before its connect completes).
            using (var excess = await TryOpenAsync(crowded))
            {
                Assert.True(excess is null || await TryHandshakeAsync(excess) is null, "the 61st connection got a session");
            }

            // The 60th, and every other one from that address, still works; so does another address.
            foreach (var client in new[] { clients[^1], clients[0] })
            {
                Assert.Equal(ErrorCode.Ok, (await client.GetDataAsync(Root)).Error);
            }
            using (var neighbour = await RawZooKeeperClient.ConnectAsync(Address, from: IPAddress.Parse("127.0.61.2")))
            {
                Assert.Equal(ErrorCode.Ok, (await neighbour.ExistsAsync(Root)).Error);
                await neighbour.CloseSessionAsync();
            }
            await fixture.AssertServesAsync(Node);

            // The refusal is logged and counted.
            await LocalCluster.WaitForAsync(() => Task.FromResult<string?>(fixture.Cluster.LogOf(Node)),
                log => log.Contains("too many connections from 127.0.61.1", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the refusal to be logged");
            await LocalCluster.WaitForAsync(async () => (double?)await MetricAsync("colony_zookeeper_connections_refused_total", "reason=\"per_ip\""),
                n => n >= refusedBefore + 1, TimeSpan.FromSeconds(10), "the refusal to be counted");

            // A slot freed is a slot taken again.
            await clients[0].CloseSessionAsync();
            clients[0].Dispose();
            clients.RemoveAt(0);
            var replacement = await LocalCluster.WaitForAsync(async () =>
            {
                // The server may not have counted the closed connection out yet: refused again, try again.
                if (await TryOpenAsync(crowded) is not { } client)
                {
                    return null;
                }
                if (await TryHandshakeAsync(client) is not null)
                {
                    return client;
                }
                client.Dispose();
                return null;
            }, _ => true, TimeSpan.FromSeconds(10), "the freed slot to admit a new connection");
            clients.Add(replacement);
            Assert.Equal(ErrorCode.Ok, (await replacement.GetDataAsync(Root)).Error);
            foreach (var client in clients)
            {
                await client.CloseSessionAsync();
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
        logs.Pass();
    }

    [Fact]
    public async Task A_client_pipelining_far_past_the_outstanding_limit_gets_every_reply_in_order_with_bounded_queueing()
    {
        using var logs = fixture.Cluster.DumpLogsOnFailure(output, tailLines: 60);
        const int Requests = 10 * MaxOutstandingPerConnection;
        string path = $"{Root}/pipelined";
        byte[] data = new byte[2048];
        Random.Shared.NextBytes(data);
        using (var writer = await fixture.ConnectAsync(Node))
        {
            Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(path, data)).Error);
            await writer.CloseSessionAsync();
        }
        double pausesBefore = await MetricAsync("colony_zookeeper_read_pauses_total");

        using var client = await fixture.ConnectAsync(Node);
        // A small receive window: 20 MB of replies cannot hide in socket buffers, so the server must
        // hold back (stop reading) rather than queue 10,000 requests.
        client.Socket.ReceiveBufferSize = 64 * 1024;
        int firstXid = client.NextXid();
        var requests = new MemoryStream();
        requests.Write(RawZooKeeperClient.RequestFrame(firstXid, OpCode.GetData, new GetDataRequest(path, false)));
        for (int i = 1; i < Requests; i++)
        {
            requests.Write(RawZooKeeperClient.RequestFrame(client.NextXid(), OpCode.GetData, new GetDataRequest(path, false)));
        }
        var sending = client.SendRawAsync(requests.ToArray());

        // The reader stops at the limit while we are not reading; then we read everything.
        await LocalCluster.WaitForAsync(async () => (double?)await MetricAsync("colony_zookeeper_read_pauses_total"),
            n => n > pausesBefore, TimeSpan.FromSeconds(30), "the server to stop reading the pipelining client");
        for (int i = 0; i < Requests; i++)
        {
            var (header, body) = await client.ReadReplyAsync(firstXid + i);
            Assert.Equal(ErrorCode.Ok, header.Err);
            Assert.Equal(4 + data.Length + 68, body.Length); // the data, then a 68-byte stat
        }
        await sending;

        // At no time did one connection have more requests read and unanswered than the limit (and
        // the one that made the reader stop).
        double highWater = await MetricAsync("colony_zookeeper_outstanding_high_water");
        output.WriteLine($"{Requests} pipelined requests; at most {highWater} were queued in the server at once");
        Assert.InRange(highWater, 1, MaxOutstandingPerConnection + 1);

        Assert.Equal(ErrorCode.Ok, await client.DeleteAsync(path));
        await client.CloseSessionAsync();
        await fixture.AssertServesAsync(Node);
        logs.Pass();
    }

    /// <summary>The handshake's answer, or null if the server closed the connection instead.</summary>
    /// <summary>A TCP connection from <paramref name="from"/>, or null when the server reset it at once.</summary>
    private async Task<RawZooKeeperClient?> TryOpenAsync(IPAddress from)
    {
        try
        {
            return await RawZooKeeperClient.OpenAsync(Address, from);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
        {
            return null;
        }
    }

    private static async Task<ConnectResponse?> TryHandshakeAsync(RawZooKeeperClient client)
    {
        try
        {
            return await client.HandshakeAsync();
        }
        catch (IOException)
        {
            return null; // reset before or while we sent
        }
    }

    private async Task<double> MetricAsync(string name, string? label = null) =>
        await MetricAsync(fixture.Cluster, Node, name, label);

    /// <summary>The sum of a metric's samples on one node (those with <paramref name="label"/>, if given); 0 if it has none yet.</summary>
    internal static async Task<double> MetricAsync(LocalCluster cluster, ulong node, string name, string? label = null)
    {
        var samples = PrometheusText.Parse(await cluster.Http.GetStringAsync($"{cluster.HttpAddress(node)}/metrics"));
        return samples.Where(s => s.Name == name && (label is null || s.Labels.Contains(label, StringComparison.Ordinal))).Sum(s => s.Value);
    }
}

/// <summary>A node with a request rate limit: it slows everyone down and still answers everyone.</summary>
public sealed class ZooKeeperRateLimitTests(ITestOutputHelper output)
{
    private const int RequestsPerSecond = 400;

    [Fact]
    public async Task A_rate_limited_node_answers_every_client_and_counts_what_it_throttled()
    {
        await using var cluster = new LocalCluster(1, coordination: new Dictionary<string, object>
        {
            ["MaxRequestsPerSecond"] = RequestsPerSecond,
            ["RequestBurst"] = 20,
        });
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        ulong node = await cluster.WaitForLeaderAsync();
        string address = cluster.ZooKeeperAddress(node);
        using (var setup = await RawZooKeeperClient.ConnectAsync(address))
        {
            Assert.Equal(ErrorCode.Ok, (await setup.CreateAsync("/rate", "x"u8.ToArray())).Error);
            await setup.CloseSessionAsync();
        }

        // Four clients pipeline 300 reads each: three seconds' worth at the limit, all at once.
        const int Clients = 4, PerClient = 300;
        async Task<int> Pipeline()
        {
            using var client = await RawZooKeeperClient.ConnectAsync(address);
            int first = client.NextXid();
            var frames = new MemoryStream();
            frames.Write(RawZooKeeperClient.RequestFrame(first, OpCode.GetData, new GetDataRequest("/rate", false)));
            for (int i = 1; i < PerClient; i++)
            {
                frames.Write(RawZooKeeperClient.RequestFrame(client.NextXid(), OpCode.GetData, new GetDataRequest("/rate", false)));
            }
            await client.SendRawAsync(frames.ToArray());
            int answered = 0;
            for (int i = 0; i < PerClient; i++)
            {
                var (header, _) = await client.ReadReplyAsync(first + i);
                Assert.Equal(ErrorCode.Ok, header.Err);
                answered++;
            }
            await client.CloseSessionAsync();
            return answered;
        }
        var pipelines = Enumerable.Range(0, Clients).Select(_ => Task.Run(Pipeline)).ToList();

        // Meanwhile a well-behaved client is slowed too, but answered, writes included.
        using (var polite = await RawZooKeeperClient.ConnectAsync(address))
        {
            for (int i = 0; i < 5; i++)
            {
                Assert.Equal(ErrorCode.Ok, (await polite.CreateAsync($"/rate/{i}", [1])).Error);
                Assert.Equal([1], (await polite.GetDataAsync($"/rate/{i}")).Data);
            }
            await polite.CloseSessionAsync();
        }
        Assert.All(await Task.WhenAll(pipelines), answered => Assert.Equal(PerClient, answered));

        double throttled = await ZooKeeperLimitsTests.MetricAsync(cluster, node, "colony_zookeeper_throttled_total");
        output.WriteLine($"{Clients * PerClient + 20} requests at {RequestsPerSecond}/s: {throttled} waited for the rate limit");
        Assert.True(throttled > 0, "nothing was throttled: the rate limit is not in force");
        Assert.True(cluster.IsRunning(node));
        logs.Pass();
    }
}
