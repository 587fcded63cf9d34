using System.Net;
using System.Net.Sockets;

namespace Colony.Client;

/// <summary>What every client does to reach a server when no connect callback is given: a new TCP socket, connected.</summary>
internal static class DirectConnect
{
    public static async ValueTask<Socket> ConnectAsync(DnsEndPoint server, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(server.Host, server.Port, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
