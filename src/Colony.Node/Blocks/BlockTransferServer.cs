using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Colony.Client.Blocks;
using Colony.Storage.Blocks.Transfer;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Colony.Node.Blocks;

/// <summary>
/// The data node's block transfer endpoint: accepts TCP connections and serves one request on each, a write
/// pipeline stage (<see cref="WritePipelineStage"/>) or a read (<see cref="ReadHandler"/>). Each request's block
/// access token is checked once, before the disk is touched; a refusal is answered with
/// <see cref="TransferStatus.AccessDenied"/> and a reason. A request that is let in runs to its end however long it
/// takes. Disposing the server stops the listener and drops every open connection at once, as a crash would.
/// </summary>
public sealed class BlockTransferServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly BlockStore _store;
    private readonly BlockTokens? _tokens;
    private readonly BlockTransferOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<long, FrameConnection> _connections = new();
    private readonly ConcurrentDictionary<long, Task> _running = new();
    private readonly Task _acceptLoop;
    private readonly Security.ConnectionsPerAddress _perAddress;
    private long _nextConnection;

    private BlockTransferServer(Socket listener, BlockStore store, BlockTokens? tokens, BlockTransferOptions options, ILogger logger)
    {
        _listener = listener;
        _store = store;
        _tokens = tokens;
        _options = options;
        _logger = logger;
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _perAddress = new Security.ConnectionsPerAddress(options.MaxConnectionsPerIp);
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>The bound address (port 0 resolved).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Block bytes served and stored through this server, for the metrics.</summary>
    public Colony.Node.Diagnostics.BlockTransferCounters Counters { get; } = new();

    /// <summary>"host:port" as clients and pipelines name this node.</summary>
    public string Address => LocalEndPoint.ToString();

    /// <summary>Connections open now: being served, or waiting for a client's next read.</summary>
    public int OpenConnections => _connections.Count;

    /// <summary>
    /// Binds <paramref name="endPoint"/> (port 0 picks a free port) and starts serving <paramref name="store"/> to
    /// requests whose token <paramref name="tokens"/> accepts. Null asks for no token at all: for tests and benchmarks
    /// of the transfer mechanics only, never a node.
    /// </summary>
    public static BlockTransferServer Start(BlockStore store, IPEndPoint endPoint, BlockTokens? tokens, BlockTransferOptions? options = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(endPoint);
        options ??= new BlockTransferOptions();
        options.Validate();
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(endPoint);
            listener.Listen(128);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        ILogger logger = loggers?.CreateLogger<BlockTransferServer>() ?? NullLogger<BlockTransferServer>.Instance;
        return new BlockTransferServer(listener, store, tokens, options, logger);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }
                continue;
            }
            var address = (socket.RemoteEndPoint as IPEndPoint)?.Address;
            if (_connections.Count >= _options.MaxConnections || !_perAddress.TryAcquire(address))
            {
                BlockLog.ConnectionRefused(_logger, socket.RemoteEndPoint?.ToString() ?? "?", _options.MaxConnections, _perAddress.Limit);
                socket.Dispose();
                continue;
            }
            long id = Interlocked.Increment(ref _nextConnection);
            var connection = FrameConnection.Accepted(socket, _options.ReadTimeout, _stopping.Token);
            _connections[id] = connection;
            _running[id] = Task.Run(() => ServeAsync(id, connection, address));
        }
    }

    private async Task ServeAsync(long id, FrameConnection connection, IPAddress? address)
    {
        bool served = false;
        try
        {
            await connection.AuthenticateAsync(_options, _stopping.Token).ConfigureAwait(false);
            PooledFrame? request = await connection.ReadFrameAsync(_stopping.Token).ConfigureAwait(false);
            // A connection carries one write, or reads one after another: a client keeps a connection that finished a
            // read for its next read from this node, and this side waits twice the client's keeping time for it.
            while (request is not null)
            {
                using (request)
                {
                    switch (request.Header.Type)
                    {
                        case FrameType.WriteBlock when !served:
                            var write = WriteBlockRequest.Decode(request.Body.Span);
                            request.Dispose();
                            if (Refuse(connection, write.Token, write.Version, [BlockAccessMode.Write, BlockAccessMode.Copy]) is { } whyNotWrite)
                            {
                                await connection.SendAckAsync(new PipelineAck(PipelineAck.SetupSeqno, [TransferStatus.AccessDenied], whyNotWrite), _stopping.Token).ConfigureAwait(false);
                                await connection.DrainAsync(_options.ReadTimeout).ConfigureAwait(false);
                                return;
                            }
                            await new WritePipelineStage(_store, _options, connection, write, _logger, Counters, _stopping.Token).RunAsync().ConfigureAwait(false);
                            return;
                        case FrameType.ReadBlock:
                            var read = ReadBlockRequest.Decode(request.Body.Span);
                            request.Dispose();
                            if (Refuse(connection, read.Token, read.Version, [BlockAccessMode.Read]) is { } whyNotRead)
                            {
                                await ReadHandler.SendReplyAsync(connection, ReadBlockReply.Failure(TransferStatus.AccessDenied, whyNotRead), _stopping.Token).ConfigureAwait(false);
                                return;
                            }
                            await ReadHandler.RunAsync(_store, _options, connection, read, Counters, _stopping.Token).ConfigureAwait(false);
                            break;
                        default:
                            throw new BlockProtocolException(served
                                ? $"after a read a connection carries only reads, not {request.Header.Type}"
                                : $"a connection must open with WriteBlock or ReadBlock, not {request.Header.Type}");
                    }
                }
                served = true;
                request = _options.IdleTimeout > TimeSpan.Zero
                    ? await connection.ReadNextRequestAsync(_options.IdleTimeout * 2, _stopping.Token).ConfigureAwait(false)
                    : null;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or BlockProtocolException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            if (!_stopping.IsCancellationRequested)
            {
                BlockLog.ConnectionFailed(_logger, connection.Remote, e.Message);
            }
        }
        catch (Exception e)
        {
            // A bug, not the network: log it loudly but keep the server up.
            BlockLog.ConnectionCrashed(_logger, e, connection.Remote);
        }
        finally
        {
            _connections.TryRemove(id, out _);
            _perAddress.Release(address);
            await connection.DisposeAsync().ConfigureAwait(false);
            _running.TryRemove(id, out _);
        }
    }

    /// <summary>Why the request's token does not let it in, or null when it does.</summary>
    private string? Refuse(FrameConnection connection, string token, Colony.Core.BlockVersion version, ReadOnlySpan<BlockAccessMode> allowed)
    {
        if (_tokens is null)
        {
            return null;
        }
        var verdict = _tokens.Check(token, version, allowed);
        if (verdict == BlockAccessVerdict.Ok)
        {
            return null;
        }
        string why = BlockAccessToken.Describe(verdict, version);
        Counters.Refused();
        BlockLog.AccessRefused(_logger, connection.Remote, why);
        return why;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        foreach (FrameConnection connection in _connections.Values)
        {
            connection.Abort();
        }
        await _acceptLoop.ConfigureAwait(false);
        await Task.WhenAll(_running.Values).ConfigureAwait(false);
        _stopping.Dispose();
    }
}
