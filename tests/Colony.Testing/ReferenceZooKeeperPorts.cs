using System.Net;
using System.Net.Sockets;

namespace Colony.Testing;

/// <summary>
/// Hands out loopback ports from a fixed range that are free now and not yet given to another
/// ensemble of this process. A port another process takes between the check and the server's bind
/// shows up as a server that exits at start, which the ensemble reports with its log.
/// </summary>
internal static class ReferenceZooKeeperPorts
{
    private static readonly HashSet<int> Claimed = [];
    private static readonly Lock Gate = new();

    public static int[] Claim(int count, int first, int last)
    {
        var size = last - first + 1;
        // Start at a random place so that concurrent test processes rarely probe the same ports.
        var offset = Random.Shared.Next(size);
        var ports = new List<int>(count);
        lock (Gate)
        {
            for (var i = 0; i < size && ports.Count < count; i++)
            {
                var port = first + ((offset + i) % size);
                if (!Claimed.Contains(port) && IsFree(port))
                {
                    ports.Add(port);
                }
            }
            if (ports.Count < count)
            {
                throw new InvalidOperationException($"fewer than {count} free ports between {first} and {last}");
            }
            Claimed.UnionWith(ports);
        }
        return [.. ports];
    }

    public static void Release(IEnumerable<int> ports)
    {
        lock (Gate)
        {
            Claimed.ExceptWith(ports);
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
