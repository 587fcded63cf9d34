namespace Colony.Client.Tests;

/// <summary>The standalone server the non-destructive contract tests share; they run one class at a time.</summary>
[CollectionDefinition(Name)]
public sealed class StandaloneCollection : ICollectionFixture<StandaloneZooKeeper>
{
    public const string Name = "standalone ZooKeeper";
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneCrudTests(StandaloneZooKeeper server) : CrudContract(server);

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneWatchTests(StandaloneZooKeeper server) : WatchContract(server);

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneTransactionAndAclTests(StandaloneZooKeeper server) : TransactionAndAclContract(server);

/// <summary>Session tests kill and restart their server, so they get one of their own.</summary>
[Collection(SessionCollections.Standalone)]
public sealed class StandaloneSessionTests(StandaloneZooKeeper server) : SessionContract(server), IClassFixture<StandaloneZooKeeper>;
