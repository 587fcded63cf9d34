using Colony.Client;

namespace Colony.FaultTests.Workloads;

/// <summary>What the workloads' clients share: connecting under faults, and which failures faults cause.</summary>
internal static class Clients
{
    /// <summary>Failures a fault can cause: the operation's outcome is unknown or it did not happen.</summary>
    public static bool IsFault(Exception e) =>
        e is ZooKeeperException or TimeoutException or OperationCanceledException or IOException or HttpRequestException;

    /// <summary>A new session, or null (after a short back-off) if no node took it.</summary>
    public static async Task<ZooKeeperClient?> TryConnectAsync(string connectString, TimeSpan sessionTimeout, CancellationToken stop)
    {
        try
        {
            return await ZooKeeperClient.ConnectAsync(connectString, new ZooKeeperClientOptions
            {
                SessionTimeout = sessionTimeout,
                ConnectTimeout = TimeSpan.FromSeconds(5),
            }, stop);
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
