using System.Net.Sockets;
using System.Text;
using Colony.IntegrationTests;

namespace Colony.Compat.Tests;

/// <summary>
/// A three-node Colony cluster as a compatibility target: the same scenarios, the same goldens as
/// the reference ZooKeeper. Started once per test class and killed with everything in it at the end.
/// </summary>
public sealed class ColonyTarget : ICompatibilityTarget, IAsyncLifetime
{
    private readonly HashSet<ulong> _killed = [];
    private LocalCluster? _cluster;

    private LocalCluster Cluster => _cluster ?? throw new InvalidOperationException("the Colony cluster has not started");

    public string ConnectString => Cluster.ConnectString;

    public bool HasFailover => true;

    public async Task InitializeAsync()
    {
        // The reference runs with a 500 ms tick, so the scenarios' 2 s sessions are granted there; match it.
        _cluster = new LocalCluster(3, new Dictionary<string, object> { ["TickTimeMs"] = 500, ["CleanupIntervalMs"] = 200 });
        await Cluster.WaitForLeaderAsync();
        await WaitUntilServingAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    public Task KillServerAtAsync(string clientAddress, CancellationToken cancellationToken)
    {
        ulong id = Cluster.Ids.FirstOrDefault(i => Cluster.ZooKeeperAddress(i) == clientAddress);
        if (id == 0)
        {
            throw new ArgumentException($"no Colony node serves {clientAddress}", nameof(clientAddress));
        }
        Cluster.Kill(id);
        _killed.Add(id);
        return Task.CompletedTask;
    }

    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        foreach (ulong id in _killed)
        {
            Cluster.Start(id);
        }
        _killed.Clear();
        await Cluster.WaitForLeaderAsync();
        await WaitUntilServingAsync(cancellationToken);
    }

    /// <summary>Every node answers "ruok" on its client port.</summary>
    private async Task WaitUntilServingAsync(CancellationToken cancellationToken)
    {
        foreach (ulong id in Cluster.Ids)
        {
            string address = Cluster.ZooKeeperAddress(id);
            await LocalCluster.WaitForAsync(() => RuokAsync(address, cancellationToken), answer => answer == "imok",
                TimeSpan.FromSeconds(30), $"node {id} to serve ZooKeeper clients");
        }
    }

    private static async Task<string?> RuokAsync(string address, CancellationToken cancellationToken)
    {
        var (host, port) = (address[..address.LastIndexOf(':')], int.Parse(address[(address.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(host, port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("ruok"u8.ToArray(), timeout.Token);
            var buffer = new byte[16];
            int total = 0;
            while (total < buffer.Length)
            {
                int read = await stream.ReadAsync(buffer.AsMemory(total), timeout.Token);
                if (read == 0)
                {
                    break;
                }
                total += read;
            }
            return Encoding.ASCII.GetString(buffer, 0, total);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }
}

/// <summary>The compatibility suite against Colony: every scenario must reproduce the reference's golden transcript.</summary>
public sealed class ColonyZooKeeperTests(ColonyTarget target) : ZooKeeperEnsembleCompatibilityTests(target), IClassFixture<ColonyTarget>;
