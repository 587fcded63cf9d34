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

    private Task WaitUntilServingAsync(CancellationToken cancellationToken) => Cluster.WaitUntilZooKeeperServesAsync();
}

/// <summary>The compatibility suite against Colony: every scenario must reproduce the reference's golden transcript.</summary>
public sealed class ColonyZooKeeperTests(ColonyTarget target) : ZooKeeperEnsembleCompatibilityTests(target), IClassFixture<ColonyTarget>;
