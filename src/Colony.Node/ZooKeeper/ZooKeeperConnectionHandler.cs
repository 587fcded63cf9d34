using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Colony.Node.ZooKeeper;

/// <summary>Serves the ZooKeeper client port from Kestrel: each connection runs as a <see cref="ClientConnection"/>.</summary>
internal sealed class ZooKeeperConnectionHandler(CoordinationServer server, CoordinationOptions options, ILoggerFactory loggers) : ConnectionHandler
{
    private readonly ILogger _logger = loggers.CreateLogger<ClientConnection>();

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (!server.TryAdmit(connection.RemoteEndPoint as System.Net.IPEndPoint))
        {
            // As ZooKeeper does: the excess connection is closed before a byte is read.
            connection.Abort();
            return;
        }
        await new ClientConnection(connection, server, options, _logger).RunAsync().ConfigureAwait(false);
    }
}
