using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Colony.Node.Peers;

/// <summary>
/// The TCP listener of the peer port: a thread (<c>peer-accept</c>) accepts connections with blocking
/// calls, and <see cref="PeerInbound.Serve"/> gives each one a thread of its own. The node may host
/// <see cref="PeerConnectionHandler"/> in Kestrel instead, at the price of the runtime's event loop
/// and thread pool between the socket and the inbox.
/// </summary>
public sealed class PeerListener : IAsyncDisposable
{
    private const int Backlog = 512;

    private readonly Socket _socket;
    private readonly PeerInbound _inbound;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly Thread _accepting;
    private readonly TaskCompletionSource _acceptingStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextConnection;
    private int _disposed;

    private PeerListener(Socket socket, PeerInbound inbound, ILogger logger)
    {
        _socket = socket;
        _inbound = inbound;
        _logger = logger;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _logger.ListenerStarted(LocalEndPoint);
        _accepting = new Thread(AcceptLoop) { IsBackground = true, Name = "peer-accept" };
        _accepting.Start();
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

    /// <summary>Stops accepting, closes every connection and waits for their threads to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        // Cancelling closes every connection's socket; closing ours ends the blocking accept.
        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _acceptingStopped.Task.ConfigureAwait(false);
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        _stopping.Dispose();
        _logger.ListenerStopped(LocalEndPoint);
    }

    private void AcceptLoop()
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = _socket.Accept();
                }
                catch (Exception) when (_stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (SocketException e)
                {
                    // Out of descriptors or the like: say so, and pause rather than spin.
                    _logger.AcceptFailed(e, LocalEndPoint);
                    _stopping.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(50));
                    continue;
                }
                long id = Interlocked.Increment(ref _nextConnection);
                var connection = _inbound.Serve(client, _stopping.Token);
                _connections[id] = connection;
                _ = ForgetWhenDoneAsync(id, connection);
            }
        }
        finally
        {
            _acceptingStopped.TrySetResult();
        }
    }

    private async Task ForgetWhenDoneAsync(long id, Task connection)
    {
        await connection.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _connections.TryRemove(id, out _);
    }
}
