using System.Net;
using System.Net.Sockets;

namespace Colony.Cli;

/// <summary>Checks that loopback ports are free by binding them for a moment.</summary>
internal static class PortProbe
{
    public static bool IsFree(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Fails with one line naming the first port of these nodes that is taken.</summary>
    public static void EnsureFree(IEnumerable<(int NodeId, NodePorts Ports)> nodes, string hint)
    {
        foreach (var (id, ports) in nodes)
        {
            foreach (var (name, port) in ports.Listening())
            {
                if (!IsFree(port))
                {
                    throw new CliError($"port {port} ({name} of node {id}) is in use; {hint}");
                }
            }
        }
    }
}
