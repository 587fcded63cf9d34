namespace Colony.Client.Tests;

/// <summary>
/// A ZooKeeper-protocol service the client tests run against: a standalone Apache ZooKeeper here,
/// a reference ensemble or a Colony cluster elsewhere. Servers are numbered from 0.
/// </summary>
public abstract class ServerFixture : IAsyncLifetime
{
    /// <summary>Every server, "host:port,host:port".</summary>
    public abstract string ConnectString { get; }

    public abstract int ServerCount { get; }

    /// <summary>One server's "host:port".</summary>
    public abstract string ServerAddress(int server);

    /// <summary>Kills the server's process (SIGKILL) and waits for it to exit.</summary>
    public abstract Task KillAsync(int server);

    /// <summary>Starts a killed server again on the same address and data, and waits until it serves.</summary>
    public abstract Task RestartAsync(int server);

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();
}
