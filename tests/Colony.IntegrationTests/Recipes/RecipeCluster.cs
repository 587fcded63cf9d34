using Colony.Client;

namespace Colony.IntegrationTests.Recipes;

/// <summary>
/// One three-node cluster shared by the recipe tests that do not harm it. Ticks of 500 ms let a
/// session last 1 to 10 s, so a dead or frozen holder's lock is freed quickly.
/// </summary>
public sealed class RecipeCluster : IAsyncLifetime
{
    public const int TickTimeMs = 500;

    internal LocalCluster Cluster { get; private set; } = null!;

    public string ConnectString => Cluster.ConnectString;

    public async Task InitializeAsync()
    {
        Cluster = new LocalCluster(3, coordination: new Dictionary<string, object> { ["TickTimeMs"] = TickTimeMs });
        await Cluster.WaitForLeaderAsync();
        await Cluster.WaitUntilZooKeeperServesAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>A .NET client on the whole cluster, for setting up and inspecting the tree.</summary>
    public Task<ZooKeeperClient> ConnectAsync() =>
        ZooKeeperClient.ConnectAsync(ConnectString, new ZooKeeperClientOptions { ConnectTimeout = TimeSpan.FromSeconds(30) });
}

[CollectionDefinition(Name)]
public sealed class RecipeCollection : ICollectionFixture<RecipeCluster>
{
    public const string Name = "recipes";
}
