using Microsoft.AspNetCore.Connections;

namespace Colony.Node.Peers;

/// <summary>
/// Serves the peer port from Kestrel: <c>listenOptions.UseConnectionHandler&lt;PeerConnectionHandler&gt;()</c>,
/// with a <see cref="PeerInbound"/> registered as a singleton.
/// </summary>
public sealed class PeerConnectionHandler(PeerInbound inbound) : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return inbound.RunAsync(connection.Transport, connection.RemoteEndPoint, connection.ConnectionClosed);
    }
}
