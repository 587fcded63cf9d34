using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;
using Colony.Consensus;
using Colony.Consensus.Wire;
using Colony.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Colony.Node.Peers;

/// <summary>
/// The receiving side of the peer transport. It serves a connection in one of two ways: an accepted
/// socket on a thread of its own (<see cref="Serve"/>, what <see cref="PeerListener"/> does), or any
/// <see cref="IDuplexPipe"/> (<see cref="RunAsync"/>: a Kestrel connection, or a pair of in-memory pipes).
/// Either way it authenticates the peer within <see cref="PeerTransportOptions.HandshakeTimeout"/>,
/// then decodes frames and writes each message to the inbox, waiting when the inbox is full (which
/// slows the sender through TCP). After each read it calls the wake-up callback once for all the
/// messages that read carried. Bad input ends only its own connection, with a log event: a failed
/// handshake, a malformed or oversized frame, a truncated stream, a message that claims another
/// sender, or one addressed to another node. Thread-safe: connections run concurrently.
/// </summary>
public sealed class PeerInbound
{
    /// <summary>A connection's receive buffer; it grows for a larger frame, and shrinks back after.</summary>
    private const int ReceiveBufferBytes = 64 << 10;

    /// <summary>Free space below which the unread rest of the buffer moves to its start before the next read.</summary>
    private const int MinReadBytes = 4 << 10;

    private readonly PeerTransportOptions _options;
    private readonly PeerCredentials _credentials;
    private readonly MessageCodec _codec;
    private readonly ChannelWriter<Message> _inbox;
    private readonly Action? _received;
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
    /// <param name="received">
    /// Called after messages were written to <paramref name="inbox"/>: once per read, however many
    /// messages it carried, and before waiting for room in a full inbox. Wakes the inbox's reader.
    /// </param>
    public PeerInbound(
        PeerTransportOptions options, ChannelWriter<Message> inbox, ILogger<PeerInbound>? logger = null, TimeProvider? timeProvider = null,
        Action? received = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(inbox);
        options.Validate();
        _options = options;
        _credentials = PeerCredentials.From(options);
        _codec = new MessageCodec(options.Wire);
        _inbox = inbox;
        _received = received;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public PeerInboundStats Stats => new(
        Volatile.Read(ref _active), Interlocked.Read(ref _authenticated), Interlocked.Read(ref _handshakesRejected),
        Interlocked.Read(ref _protocolViolations), Interlocked.Read(ref _refused), Interlocked.Read(ref _messages));

    /// <summary>
    /// Serves one connection until it closes, breaks the protocol, is replaced by a newer connection from
    /// the same peer, or <paramref name="cancellationToken"/> fires. Never throws: every failure is logged.
    /// The caller owns <paramref name="transport"/> and closes it once this returns. Does no TLS of its
    /// own (<see cref="PeerTransportOptions.Tls"/> applies to <see cref="Serve"/>): a host that serves
    /// peers this way puts TLS in front of the pipe.
    /// </summary>
    public async Task RunAsync(IDuplexPipe transport, EndPoint? remoteEndPoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        if (!TryAdmit(remoteEndPoint, out long connection))
        {
            return;
        }
        var peer = NodeId.None;
        try
        {
            _logger.InboundOpened(connection, remoteEndPoint);
            peer = await AuthenticateAsync(transport, cancellationToken).ConfigureAwait(false);
            using var session = Open(connection, remoteEndPoint, peer, cancellationToken);
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
        catch (Exception e)
        {
            Report(e, connection, remoteEndPoint, peer, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    /// <summary>
    /// Serves an accepted, blocking socket on a thread of its own (<c>peer-in</c>, then
    /// <c>peer-in-{id}</c> once the peer is known), with blocking reads: the socket never goes through
    /// the runtime's event loop or the thread pool. Takes ownership of <paramref name="socket"/>. The
    /// task completes when the connection has ended; <paramref name="cancellationToken"/> ends it early.
    /// </summary>
    internal Task Serve(Socket socket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        EndPoint? remoteEndPoint = null;
        try
        {
            remoteEndPoint = socket.RemoteEndPoint;
        }
        catch (SocketException)
        {
            // Reset before we looked: the first read says so.
        }
        if (!TryAdmit(remoteEndPoint, out long connection))
        {
            socket.Dispose();
            return Task.CompletedTask;
        }
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Run()
        {
            try
            {
                ServeOnThisThread(socket, connection, remoteEndPoint, cancellationToken);
            }
            finally
            {
                socket.Dispose();
                Interlocked.Decrement(ref _active);
                done.TrySetResult();
            }
        }
        try
        {
            new Thread(Run) { IsBackground = true, Name = "peer-in" }.Start();
        }
        catch (Exception e)
        {
            // Out of threads: this connection only is lost.
            _logger.InboundFailed(e, connection, remoteEndPoint);
            socket.Dispose();
            Interlocked.Decrement(ref _active);
            return Task.CompletedTask;
        }
        return done.Task;
    }

    private bool TryAdmit(EndPoint? remoteEndPoint, out long connection)
    {
        connection = Interlocked.Increment(ref _nextConnection);
        if (Interlocked.Increment(ref _active) > _options.MaxInboundConnections)
        {
            Interlocked.Decrement(ref _active);
            Interlocked.Increment(ref _refused);
            _logger.TooManyConnections(remoteEndPoint, _options.MaxInboundConnections);
            return false;
        }
        return true;
    }

    /// <summary>Records an authenticated connection as its peer's current one, closing the one it replaces.</summary>
    private Session Open(long connection, EndPoint? remoteEndPoint, NodeId peer, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _authenticated);
        _logger.InboundAuthenticated(connection, remoteEndPoint, peer);
        var session = new Session(connection, cancellationToken);
        Session? previous = null;
        _sessions.AddOrUpdate(peer, session, (_, old) => (previous = old, session).session);
        if (previous is not null)
        {
            _logger.InboundReplaced(connection, peer, previous.Connection);
            previous.Close();
        }
        return session;
    }

    /// <summary>Counts and logs how a connection ended early.</summary>
    private void Report(Exception e, long connection, EndPoint? remoteEndPoint, NodeId peer, CancellationToken cancellationToken)
    {
        switch (e)
        {
            case PeerHandshakeException handshake:
                Interlocked.Increment(ref _handshakesRejected);
                _logger.HandshakeRejected(connection, remoteEndPoint, handshake.Failure, handshake.Message);
                break;
            case WireFormatException or PeerProtocolException:
                Interlocked.Increment(ref _protocolViolations);
                _logger.ProtocolViolation(connection, peer, e.Message);
                break;
            case OperationCanceledException:
                // The node is stopping, or a newer connection from the same peer took over.
                _logger.InboundDropped(connection, remoteEndPoint, cancellationToken.IsCancellationRequested ? "shutting down" : "replaced");
                break;
            case IOException or SocketException or ObjectDisposedException or ChannelClosedException:
                _logger.InboundDropped(connection, remoteEndPoint, e.Message);
                break;
            default:
                // Whatever went wrong, it ends this connection only.
                _logger.InboundFailed(e, connection, remoteEndPoint);
                break;
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
            int delivered = 0;
            try
            {
                while (_codec.TryReadFrame(ref buffer, out var message))
                {
                    Check(message, peer);
                    if (!_inbox.TryWrite(message))
                    {
                        Delivered(ref delivered, force: true);
                        await _inbox.WriteAsync(message, cancellationToken).ConfigureAwait(false);
                    }
                    delivered++;
                    messages++;
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
                Delivered(ref delivered);
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    /// <summary>Authenticates and receives on the calling thread, a connection's own; logs how it ended.</summary>
    private void ServeOnThisThread(Socket socket, long connection, EndPoint? remoteEndPoint, CancellationToken cancellationToken)
    {
        var peer = NodeId.None;
        SslStream? tls = null;
        try
        {
            _logger.InboundOpened(connection, remoteEndPoint);
            peer = Authenticate(socket, cancellationToken, out tls, out byte[] rest);
            Thread.CurrentThread.Name = $"peer-in-{peer}";
            using var session = Open(connection, remoteEndPoint, peer, cancellationToken);
            try
            {
                long messages;
                // Ends a blocking read, without closing the connection before the outcome is logged.
                using (session.Token.Register(StopReading, socket))
                {
                    messages = Receive(socket, tls, rest, peer, session.Token);
                }
                _logger.InboundClosed(connection, peer, messages);
            }
            finally
            {
                _sessions.TryRemove(KeyValuePair.Create(peer, session));
            }
        }
        catch (Exception e)
        {
            Report(e, connection, remoteEndPoint, peer, cancellationToken);
        }
        finally
        {
            tls?.Dispose();
        }
    }

    /// <summary>
    /// The handshake over blocking reads and writes; <paramref name="rest"/> is whatever was read past
    /// it. With TLS configured, the TLS handshake comes first, within the same timeout, and
    /// <paramref name="tls"/> is the session the connection continues in.
    /// </summary>
    private NodeId Authenticate(Socket socket, CancellationToken cancellationToken, out SslStream? tls, out byte[] rest)
    {
        tls = null;
        using var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        // Stopping closes the socket, which ends any blocking call; a timeout only ends the read, so
        // that the connection closes once the rejection is counted and logged, as for any other.
        using var stop = cancellationToken.Register(socket.Dispose);
        using var expire = timeout.Token.Register(StopReading, socket);
        try
        {
            if (_options.Tls is { } trust)
            {
                tls = PeerTls.Accept(socket, trust);
            }
            var pipe = tls is null ? new SocketDuplexPipe(socket) : new SocketDuplexPipe(tls);
            // Runs synchronously: every read and write of the pipe blocks this thread.
            var peer = PeerHandshake.AcceptAsync(pipe, _credentials, linked.Token).GetAwaiter().GetResult();
            rest = pipe.Detach();
            return peer;
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // The socket was closed under the handshake, whatever that made it throw. (A source's flag
            // is set before its callbacks run, so these tests see it whichever callback ran first.)
            throw new OperationCanceledException(cancellationToken);
        }
        catch (Exception) when (timeout.IsCancellationRequested)
        {
            throw new PeerHandshakeException(HandshakeFailure.TimedOut, $"no handshake within {_options.HandshakeTimeout}");
        }
    }

    /// <summary>
    /// Reads frames with blocking reads until the stream ends; returns how many messages arrived.
    /// Everything decoded from one read goes to the inbox before one call of the wake-up callback.
    /// </summary>
    private long Receive(Socket socket, Stream? tls, byte[] rest, NodeId peer, CancellationToken cancellationToken)
    {
        byte[] buffer = rest.Length > ReceiveBufferBytes ? rest : new byte[ReceiveBufferBytes];
        rest.CopyTo(buffer, 0);
        int start = 0;
        int end = rest.Length;
        long messages = 0;
        bool read = rest.Length == 0;
        while (true)
        {
            if (read)
            {
                MakeRoom(ref buffer, ref start, ref end);
                int received;
                try
                {
                    received = tls is null
                        ? socket.Receive(buffer, end, buffer.Length - end, SocketFlags.None)
                        : tls.Read(buffer, end, buffer.Length - end);
                }
                catch (Exception e) when (e is (SocketException or IOException or ObjectDisposedException) && cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException(cancellationToken);
                }
                if (received == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (end > start)
                    {
                        throw new WireFormatException($"the connection closed inside a frame, {end - start} bytes in");
                    }
                    return messages;
                }
                end += received;
            }
            read = true;
            var unread = new ReadOnlySpan<byte>(buffer, start, end - start);
            int delivered = 0;
            try
            {
                while (_codec.TryReadFrame(ref unread, out var message))
                {
                    Check(message, peer);
                    if (!_inbox.TryWrite(message))
                    {
                        Delivered(ref delivered, force: true);
                        _inbox.WriteAsync(message, cancellationToken).AsTask().GetAwaiter().GetResult();
                    }
                    delivered++;
                    messages++;
                }
            }
            finally
            {
                Delivered(ref delivered);
            }
            start = end - unread.Length;
            if (start == end)
            {
                start = end = 0;
                if (buffer.Length > ReceiveBufferBytes)
                {
                    buffer = new byte[ReceiveBufferBytes];
                }
            }
        }
    }

    /// <summary>Ends a blocking read of the socket (it returns 0) without closing the connection.</summary>
    private static void StopReading(object? socket)
    {
        try
        {
            ((Socket)socket!).Shutdown(SocketShutdown.Receive);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Closed already.
        }
    }

    /// <summary>
    /// Makes room for the next read: moves a partial frame to the start of the buffer when little space
    /// is left after it, and grows the buffer when the frame is larger. A frame's size is known from its
    /// header (<see cref="WireFormat"/>), already checked against the limit by the decoder.
    /// </summary>
    private static void MakeRoom(ref byte[] buffer, ref int start, ref int end)
    {
        int pending = end - start;
        int frameBytes = pending >= WireFormat.FrameHeaderBytes
            ? WireFormat.FrameHeaderBytes + (int)BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(start))
            : WireFormat.FrameHeaderBytes;
        if (frameBytes > buffer.Length)
        {
            var larger = new byte[frameBytes];
            buffer.AsSpan(start, pending).CopyTo(larger);
            (buffer, start, end) = (larger, 0, pending);
        }
        else if (start > 0 && buffer.Length - end < Math.Max(frameBytes - pending, MinReadBytes))
        {
            buffer.AsSpan(start, pending).CopyTo(buffer);
            (start, end) = (0, pending);
        }
    }

    private void Check(Message message, NodeId peer)
    {
        if (message.From != peer)
        {
            throw new PeerProtocolException($"node {peer} sent a {message.Type} claiming to be from node {message.From}");
        }
        if (message.To != _credentials.LocalId)
        {
            throw new PeerProtocolException($"node {peer} sent a {message.Type} for node {message.To}");
        }
    }

    /// <summary>Counts the messages written to the inbox since the last call and wakes its reader once.</summary>
    private void Delivered(ref int delivered, bool force = false)
    {
        if (delivered == 0 && !force)
        {
            return;
        }
        Interlocked.Add(ref _messages, delivered);
        delivered = 0;
        _received?.Invoke();
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
