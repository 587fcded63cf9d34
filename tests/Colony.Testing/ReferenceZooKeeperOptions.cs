namespace Colony.Testing;

/// <summary>
/// How <see cref="ReferenceZooKeeper"/> runs Apache ZooKeeper: the installed Java and jars, the
/// timing settings written to each zoo.cfg, and the loopback ports it may use.
/// </summary>
public sealed record ReferenceZooKeeperOptions
{
    /// <summary>The Java launcher.</summary>
    public string Java { get; init; } = "/usr/bin/java";

    /// <summary>
    /// The server's jar. Its manifest names its dependencies, as the distribution's scripts rely on.
    /// </summary>
    public string ZooKeeperJar { get; init; } = "/usr/share/java/zookeeper.jar";

    /// <summary>
    /// A logging backend for the server's slf4j, used when present so the server's log lands in its
    /// log file; without it the server logs nothing.
    /// </summary>
    public string LoggingJar { get; init; } = "/usr/share/java/slf4j-simple.jar";

    /// <summary>ZooKeeper's basic time unit. Session timeouts are clamped to 2 to 20 ticks.</summary>
    public int TickTimeMilliseconds { get; init; } = 500;

    /// <summary>Ticks a follower may take to connect and sync to a leader.</summary>
    public int InitLimitTicks { get; init; } = 20;

    /// <summary>Ticks a follower may lag behind the leader before it is dropped.</summary>
    public int SyncLimitTicks { get; init; } = 10;

    /// <summary>The JVM's maximum heap per server.</summary>
    public int MaxHeapMegabytes { get; init; } = 512;

    /// <summary>How long starting (or restarting) may take before it counts as a failure.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The lowest loopback port the servers may listen on.</summary>
    public int FirstPort { get; init; } = 23000;

    /// <summary>The highest loopback port the servers may listen on.</summary>
    public int LastPort { get; init; } = 23999;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(TickTimeMilliseconds, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(InitLimitTicks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(SyncLimitTicks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxHeapMegabytes, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(FirstPort, 1024);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(LastPort, 65535);
        ArgumentOutOfRangeException.ThrowIfLessThan(LastPort, FirstPort);
        if (!File.Exists(Java))
        {
            throw new InvalidOperationException($"Java is not installed at {Java}");
        }
        if (!File.Exists(ZooKeeperJar))
        {
            throw new InvalidOperationException($"Apache ZooKeeper is not installed at {ZooKeeperJar}");
        }
    }
}
