using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Colony.Consensus;
using Colony.Consensus.Wire;
using Colony.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Colony.Node.Peers;

/// <summary>
/// The receiving side of the peer transport, one call of <see cref="RunAsync"/> per connection over any
/// <see cref="IDuplexPipe"/> (a Kestrel connection, a socket, or a pair of in-memory pipes). It
/// authenticates the peer within <see cref="PeerTransportOptions.HandshakeTimeout"/>, then decodes
/// frames and writes each message to the inbox, waiting when the inbox is full (which slows the
/// sender through TCP). Bad input ends only its own connection, with a log event: a failed handshake,
/// a malformed or oversized frame, a truncated stream, a message that claims another sender, or one
/// addressed to another node. Thread-safe: connections run concurrently.
/// </summary>
public sealed class PeerInbound
{
    private readonly PeerTransportOptions _options;
    private readonly PeerCredentials _credentials;
    private readonly MessageCodec _codec;
    private readonly ChannelWriter<Message> _inbox;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<NodeId, Session> _sessions = new();
    private long _nextConnection;
    private int _active;
    private long _authenticated;
    private long _handshakesRejected;
    private long _protocolViolations;
    private long _refused;
    private long _messages;

    /// <param name="options">Identity, credentials and limits (the same options as the node's <see cref="PeerTransport"/>); validated here.</param>
    /// <param name="inbox">Where received messages go, in order per connection.</param>
    /// <param name="logger">Where connection events go.</param>
    /// <param name="timeProvider">Drives the handshake timeout. Default <see cref="TimeProvider.System"/>.</param>
    public PeerInbound(PeerTransportOptions options, ChannelWriter<Message> inbox, ILogger<PeerInbound>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(inbox);
        options.Validate();
        _options = options;
        _credentials = PeerCredentials.From(options);
        _codec = new MessageCodec(options.Wire);
        _inbox = inbox;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public PeerInboundStats Stats => new(
        Volatile.Read(ref _active), Interlocked.Read(ref _authenticated), Interlocked.Read(ref _handshakesRejected),
        Interlocked.Read(ref _protocolViolations), Interlocked.Read(ref _refused), Interlocked.Read(ref _messages));

    /// <summary>
    /// Serves one connection until it closes, breaks the protocol, is replaced by a newer connection from
    /// the same peer, or <paramref name="cancellationToken"/> fires. Never throws: every failure is logged.
    /// The caller owns <paramref name="transport"/> and closes it once this returns.
    /// </summary>
    public async Task RunAsync(IDuplexPipe transport, EndPoint? remoteEndPoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        long connection = Interlocked.Increment(ref _nextConnection);
        if (Interlocked.Increment(ref _active) > _options.MaxInboundConnections)
        {
            Interlocked.Decrement(ref _active);
            Interlocked.Increment(ref _refused);
            _logger.TooManyConnections(remoteEndPoint, _options.MaxInboundConnections);
            return;
        }
        var peer = NodeId.None;
        try
        {
            _logger.InboundOpened(connection, remoteEndPoint);
            peer = await AuthenticateAsync(transport, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _authenticated);
            _logger.InboundAuthenticated(connection, remoteEndPoint, peer);
            using var session = new Session(connection, cancellationToken);
            Session? previous = null;
            _sessions.AddOrUpdate(peer, session, (_, old) => (previous = old, session).session);
            if (previous is not null)
            {
                _logger.InboundReplaced(connection, peer, previous.Connection);
                previous.Close();
            }
            try
            {
                long messages = await ReceiveAsync(transport.Input, peer, session.Token).ConfigureAwait(false);
                _logger.InboundClosed(connection, peer, messages);
            }
            finally
            {
                _sessions.TryRemove(KeyValuePair.Create(peer, session));
            }
        }
        catch (PeerHandshakeException e)
        {
            Interlocked.Increment(ref _handshakesRejected);
            _logger.HandshakeRejected(connection, remoteEndPoint, e.Failure, e.Message);
        }
        catch (Exception e) when (e is WireFormatException or PeerProtocolException)
        {
            Interlocked.Increment(ref _protocolViolations);
            _logger.ProtocolViolation(connection, peer, e.Message);
        }
        catch (OperationCanceledException)
        {
            // The node is stopping, or a newer connection from the same peer took over.
            _logger.InboundDropped(connection, remoteEndPoint, cancellationToken.IsCancellationRequested ? "shutting down" : "replaced");
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or ChannelClosedException)
        {
            _logger.InboundDropped(connection, remoteEndPoint, e.Message);
        }
        catch (Exception e)
        {
            // Whatever went wrong, it ends this connection only.
            _logger.InboundFailed(e, connection, remoteEndPoint);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    private async Task<NodeId> AuthenticateAsync(IDuplexPipe transport, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await PeerHandshake.AcceptAsync(transport, _credentials, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new PeerHandshakeException(HandshakeFailure.TimedOut, $"no handshake within {_options.HandshakeTimeout}");
        }
    }

    private async Task<long> ReceiveAsync(PipeReader input, NodeId peer, CancellationToken cancellationToken)
    {
        long messages = 0;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            try
            {
                while (_codec.TryReadFrame(ref buffer, out var message))
                {
                    if (message.From != peer)
                    {
                        throw new PeerProtocolException($"node {peer} sent a {message.Type} claiming to be from node {message.From}");
                    }
                    if (message.To != _credentials.LocalId)
                    {
                        throw new PeerProtocolException($"node {peer} sent a {message.Type} for node {message.To}");
                    }
                    if (!_inbox.TryWrite(message))
                    {
                        await _inbox.WriteAsync(message, cancellationToken).ConfigureAwait(false);
                    }
                    messages++;
                    Interlocked.Increment(ref _messages);
                }
                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                    {
                        throw new WireFormatException($"the connection closed inside a frame, {buffer.Length} bytes in");
                    }
                    return messages;
                }
                if (result.IsCanceled)
                {
                    return messages;
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    /// <summary>An authenticated connection, which a newer one from the same peer may close.</summary>
    private sealed class Session(long connection, CancellationToken cancellationToken) : IDisposable
    {
        private readonly CancellationTokenSource _cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        public long Connection { get; } = connection;

        public CancellationToken Token => _cancellation.Token;

        public void Close()
        {
            try
            {
                _cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // It ended on its own meanwhile.
            }
        }

        public void Dispose() => _cancellation.Dispose();
    }
}
