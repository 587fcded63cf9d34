using Colony.Client;
using Colony.FaultTests.Bed;

namespace Colony.FaultTests.Workloads;

/// <summary>What the workloads' clients share: connecting under faults, and which failures faults cause.</summary>
internal static class Clients
{
    /// <summary>Failures a fault can cause: the operation's outcome is unknown or it did not happen.</summary>
    public static bool IsFault(Exception e) =>
        e is ZooKeeperException or TimeoutException or OperationCanceledException or IOException or HttpRequestException;

    /// <summary>
    /// The client host that client <paramref name="index"/> of a workload runs on: the hosts in turn, so
    /// every host has clients; null (the root namespace) when the bed has none.
    /// </summary>
    public static ClientHost? HostFor(IReadOnlyList<ClientHost> hosts, int index) =>
        hosts.Count == 0 ? null : hosts[index % hosts.Count];

    /// <summary>A new session, from <paramref name="host"/> (null: the root namespace), or null (after a short back-off) if no node took it.</summary>
    public static async Task<ZooKeeperClient?> TryConnectAsync(string connectString, TimeSpan sessionTimeout, CancellationToken stop, ClientHost? host = null)
    {
        try
        {
            var options = new ZooKeeperClientOptions
            {
                SessionTimeout = sessionTimeout,
                ConnectTimeout = TimeSpan.FromSeconds(5),
            };
            return await ZooKeeperClient.ConnectAsync(connectString, host?.Apply(options) ?? options, stop);
        }
        catch (Exception e) when (IsFault(e))
        {
            if (!stop.IsCancellationRequested)
            {
                await Task.Delay(200, CancellationToken.None); // back off before trying the servers again
            }
            return null;
        }
    }
}
