namespace Colony.Client.Tests.Recipes;

[Collection(ColonyCollection.Name)]
public sealed class ColonyLockTests(ColonyClusterOneNode server) : LockContract(server);

[Collection(ColonyCollection.Name)]
public sealed class ColonySharedLockTests(ColonyClusterOneNode server) : SharedLockContract(server);

[Collection(ColonyCollection.Name)]
public sealed class ColonyElectionTests(ColonyClusterOneNode server) : ElectionContract(server);

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneLockTests(StandaloneZooKeeper server) : LockContract(server);

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneSharedLockTests(StandaloneZooKeeper server) : SharedLockContract(server);

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneElectionTests(StandaloneZooKeeper server) : ElectionContract(server);

[Collection(ColonyCollection.Name)]
public sealed class ColonyCoordinationRecipesTests(ColonyClusterOneNode server) : CoordinationRecipesContract(server);

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneCoordinationRecipesTests(StandaloneZooKeeper server) : CoordinationRecipesContract(server);
