namespace Colony.Compat.Tests;

/// <summary>
/// The servers a compatibility suite runs against: the reference ZooKeeper now, Colony later. A
/// target gives its address list and knows how to crash the server behind one address and bring
/// the whole group back afterwards.
/// </summary>
public interface ICompatibilityTarget
{
    /// <summary>"host:port,host:port,...", as ZooKeeper clients take it.</summary>
    string ConnectString { get; }

    /// <summary>Whether the target has several servers, so a client can survive losing one.</summary>
    bool HasFailover { get; }

    /// <summary>Kills (SIGKILL) the server serving clients at <paramref name="clientAddress"/> ("host:port").</summary>
    Task KillServerAtAsync(string clientAddress, CancellationToken cancellationToken);

    /// <summary>Restarts every killed server and returns once all serve again.</summary>
    Task RecoverAsync(CancellationToken cancellationToken);
}
