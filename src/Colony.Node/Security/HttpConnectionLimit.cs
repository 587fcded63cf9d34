using System.Net;
using Colony.Node.Diagnostics;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Colony.Node.Security;

/// <summary>
/// Kestrel connection middleware for the HTTP port: at most <c>Colony:MaxHttpConnectionsPerIp</c> connections
/// open from one client address, as the ZooKeeper and block ports have. The excess connection is closed on
/// arrival, before a TLS handshake or a byte of HTTP, and is logged and counted.
/// </summary>
internal sealed partial class HttpConnectionLimit(int limit, ILogger<HttpConnectionLimit> logger, NodeMetrics? metrics)
{
    private readonly ConnectionsPerAddress _perAddress = new(limit);

    /// <summary>The middleware, for <c>ListenOptions.Use</c>.</summary>
    public ConnectionDelegate Apply(ConnectionDelegate next) => async connection =>
    {
        var remote = connection.RemoteEndPoint as IPEndPoint;
        if (!_perAddress.TryAcquire(remote?.Address))
        {
            var address = remote!.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
            LogTooManyFromAddress(remote.ToString(), address.ToString(), _perAddress.Limit);
            metrics?.HttpConnectionsRefused.Add(1, new KeyValuePair<string, object?>("reason", "per_ip"));
            connection.Abort();
            return;
        }
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            _perAddress.Release(remote?.Address);
        }
    };

    [LoggerMessage(EventId = 8010, Level = LogLevel.Warning, Message = "HTTP client {Remote}: too many connections from {Address}, the most is {Limit} (MaxHttpConnectionsPerIp); closing")]
    private partial void LogTooManyFromAddress(string remote, string address, int limit);
}
