using Colony.IntegrationTests;

namespace Colony.Client.Tests;

/// <summary>A 3-node Colony cluster as the server the client contracts run against. Server i is node i+1.</summary>
public class ColonyCluster : ServerFixture
{
    private LocalCluster? _cluster;

    private LocalCluster Cluster => _cluster ?? throw new InvalidOperationException("the Colony cluster has not started");

    public override string ConnectString => Cluster.ConnectString;

    protected string FirstNode => Cluster.ZooKeeperAddress(1);

    public override int ServerCount => 3;

    public override string ServerAddress(int server) => Cluster.ZooKeeperAddress((ulong)server + 1);

    public override Task KillAsync(int server)
    {
        Cluster.Kill((ulong)server + 1);
        return Task.CompletedTask;
    }

    public override async Task RestartAsync(int server)
    {
        ulong id = (ulong)server + 1;
        Cluster.Start(id);
        await Cluster.WaitForLeaderAsync();
        await Cluster.WaitUntilZooKeeperServesAsync(id);
    }

    public override async Task InitializeAsync()
    {
        _cluster = new LocalCluster(3);
        await Cluster.WaitForLeaderAsync();
        await Cluster.WaitUntilZooKeeperServesAsync();
    }

    public override async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>
/// The same 3-node cluster, with every client on node 1. The contracts below have one session read
/// what another just wrote, without a sync: ZooKeeper promises that only on one server (each
/// server is sequentially consistent, not linearizable), so they run on one. Reads across nodes
/// are covered by the session contract and the compatibility scenarios, which sync.
/// </summary>
public sealed class ColonyClusterOneNode : ColonyCluster
{
    public override string ConnectString => FirstNode;
}

[CollectionDefinition(Name)]
public sealed class ColonyCollection : ICollectionFixture<ColonyClusterOneNode>
{
    public const string Name = "Colony cluster";
}

[Collection(ColonyCollection.Name)]
public sealed class ColonyCrudTests(ColonyClusterOneNode server) : CrudContract(server);

[Collection(ColonyCollection.Name)]
public sealed class ColonyWatchTests(ColonyClusterOneNode server) : WatchContract(server);

[Collection(ColonyCollection.Name)]
public sealed class ColonyTransactionAndAclTests(ColonyClusterOneNode server) : TransactionAndAclContract(server);

/// <summary>Session tests kill and restart a node, so they get a cluster of their own.</summary>
[Collection(SessionCollections.Colony)]
public sealed class ColonySessionTests(ColonyCluster server) : SessionContract(server), IClassFixture<ColonyCluster>;
