using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Colony.Node.Peers;

/// <summary>
/// A standalone TCP listener for the peer port: accepts connections and serves each with a
/// <see cref="PeerInbound"/>. The node may host <see cref="PeerConnectionHandler"/> in Kestrel instead;
/// both end up in <see cref="PeerInbound.RunAsync"/>.
/// </summary>
public sealed class PeerListener : IAsyncDisposable
{
    private const int Backlog = 512;

    private readonly Socket _socket;
    private readonly PeerInbound _inbound;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly Task _accepting;
    private long _nextConnection;
    private int _disposed;

    private PeerListener(Socket socket, PeerInbound inbound, ILogger logger)
    {
        _socket = socket;
        _inbound = inbound;
        _logger = logger;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _logger.ListenerStarted(LocalEndPoint);
        _accepting = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The bound address; with port 0 requested, the port the system chose.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Binds <paramref name="endPoint"/> and starts accepting connections.</summary>
    public static PeerListener Start(IPEndPoint endPoint, PeerInbound inbound, ILogger<PeerListener>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(inbound);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // No ReuseAddress: on Linux it also sets SO_REUSEPORT, which would let a second process share
            // the port. Rebinding after a restart, with old connections in TIME_WAIT, works without it.
            socket.Bind(endPoint);
            socket.Listen(Backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new PeerListener(socket, inbound, (ILogger?)logger ?? NullLogger.Instance);
    }

    /// <summary>Stops accepting, closes every connection and waits for their handlers to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _accepting.ConfigureAwait(false);
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        _stopping.Dispose();
        _logger.ListenerStopped(LocalEndPoint);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of descriptors or the like: say so, and pause rather than spin.
                _logger.AcceptFailed(e, LocalEndPoint);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            long id = Interlocked.Increment(ref _nextConnection);
            var connection = ServeAsync(client);
            _connections[id] = connection;
            _ = ForgetWhenDoneAsync(id, connection);
        }
    }

    private async Task ForgetWhenDoneAsync(long id, Task connection)
    {
        await connection.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _connections.TryRemove(id, out _);
    }

    private async Task ServeAsync(Socket client)
    {
        var pipe = new SocketDuplexPipe(client);
        try
        {
            await _inbound.RunAsync(pipe, pipe.RemoteEndPoint, _stopping.Token).ConfigureAwait(false);
        }
        finally
        {
            await pipe.DisposeAsync().ConfigureAwait(false);
        }
    }
}
