namespace Colony.Client.Tests;

/// <summary>
/// The session contract measures liveness against a session timeout: pings must cross within two
/// thirds of it. Run alongside the other collections, which start JVMs, clusters and example builds,
/// a 2-core machine can starve a server or the proxy for seconds and fail the test for the machine's
/// sake. These collections run on their own, after the parallel ones.
/// </summary>
public static class SessionCollections
{
    public const string Colony = "Colony sessions";
    public const string Standalone = "standalone ZooKeeper sessions";
}

[CollectionDefinition(SessionCollections.Colony, DisableParallelization = true)]
public sealed class ColonySessionCollection;

[CollectionDefinition(SessionCollections.Standalone, DisableParallelization = true)]
public sealed class StandaloneSessionCollection;
