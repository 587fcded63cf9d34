using System.Text;
using Colony.Coordination;

namespace Colony.IntegrationTests.ZooKeeper;

/// <summary>
/// One three-node cluster shared by the ZooKeeper port's bad-input and session tests, none of which
/// harms the cluster itself. It keeps a ledger of acknowledged writes, so every test can check that
/// nothing it provoked lost any of them.
/// </summary>
public sealed class ZooKeeperClusterFixture : IAsyncLifetime
{
    /// <summary>Ticks of 500 ms: sessions may last 1 to 10 s, so expiry can be observed quickly.</summary>
    public const int TickTimeMs = 500;

    /// <summary>Short, so the silent-socket test is quick; long enough for the thousand-connection test to set up.</summary>
    public const int HandshakeTimeoutMs = 8_000;

    public const string Root = "/zk-it";

    /// <summary>
    /// The request frame limit, raised as ZooKeeper's users raise jute.maxbuffer: room for a whole 1 MiB
    /// of data, so the znode data limit can be tested on its own. The default limit (ZooKeeper's) is
    /// pinned by the compatibility scenarios, against ZooKeeper itself.
    /// </summary>
    public const int MaxFrameBytes = Colony.Coordination.Protocol.FrameReader.MaxPayloadBytes + (64 << 10);

    private readonly Dictionary<string, byte[]> _acknowledged = [];
    private int _written;

    internal LocalCluster Cluster { get; private set; } = null!;

    public ulong Leader { get; private set; }

    /// <summary>A node that is not the leader: its clients' writes are forwarded.</summary>
    public ulong Follower { get; private set; }

    public async Task InitializeAsync()
    {
        Cluster = new LocalCluster(3, coordination: new Dictionary<string, object>
        {
            ["TickTimeMs"] = TickTimeMs, ["HandshakeTimeoutMs"] = HandshakeTimeoutMs, ["MaxFrameBytes"] = MaxFrameBytes,
        });
        Leader = await Cluster.WaitForLeaderAsync();
        Follower = Cluster.Ids.First(id => id != Leader);
        using var client = await ConnectAsync(Leader);
        Assert.Equal(ErrorCode.Ok, (await client.CreateAsync(Root, [])).Error);
        await client.CloseSessionAsync();
        // Acknowledged data on every node before any bad input arrives.
        foreach (var id in Cluster.Ids)
        {
            await WriteAcknowledgedAsync(id);
        }
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    public string Address(ulong id) => Cluster.ZooKeeperAddress(id);

    /// <summary>A well-behaved client on node <paramref name="id"/> (session timeout 10 s, the most the ticks allow).</summary>
    internal Task<RawZooKeeperClient> ConnectAsync(ulong id) => RawZooKeeperClient.ConnectAsync(Address(id));

    /// <summary>
    /// The node still serves a new, well-behaved client: it connects, creates a znode and reads it back
    /// (each step bounded), and every write acknowledged so far, on any node, reads back intact.
    /// </summary>
    internal async Task AssertServesAsync(ulong id)
    {
        var written = await WriteAcknowledgedAsync(id);
        using var client = await ConnectAsync(id);
        Assert.Equal(ErrorCode.Ok, await client.SyncAsync(Root));
        KeyValuePair<string, byte[]>[] ledger;
        lock (_acknowledged)
        {
            ledger = [.. _acknowledged];
        }
        foreach (var (path, data) in ledger)
        {
            var (error, read, _) = await client.GetDataAsync(path);
            Assert.True(error == ErrorCode.Ok, $"{path}, acknowledged earlier, reads as {error} on node {id}");
            Assert.Equal(data, read);
        }
        Assert.Contains(written, ledger.Select(e => e.Key));
        await client.CloseSessionAsync();
    }

    /// <summary>Creates a znode through node <paramref name="id"/>, reads it back there, and records it.</summary>
    private async Task<string> WriteAcknowledgedAsync(ulong id)
    {
        using var client = await ConnectAsync(id);
        int n = Interlocked.Increment(ref _written);
        string path = $"{Root}/ack-{n}";
        byte[] data = Encoding.UTF8.GetBytes($"written through node {id}, #{n}");
        var (error, created) = await client.CreateAsync(path, data);
        Assert.Equal(ErrorCode.Ok, error);
        Assert.Equal(path, created);
        var (readError, read, _) = await client.GetDataAsync(path);
        Assert.Equal(ErrorCode.Ok, readError);
        Assert.Equal(data, read);
        lock (_acknowledged)
        {
            _acknowledged[path] = data;
        }
        await client.CloseSessionAsync();
        return path;
    }
}

[CollectionDefinition(Name)]
public sealed class ZooKeeperClusterCollection : ICollectionFixture<ZooKeeperClusterFixture>
{
    public const string Name = "ZooKeeper cluster";
}
