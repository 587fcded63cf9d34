using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Colony.Client;
using Colony.Consensus;
using Colony.Consensus.Wire;
using Colony.Core;
using Colony.Node.Threading;
using Microsoft.Extensions.Logging;

namespace Colony.Node.Peers;

/// <summary>
/// The outbound side of one peer: its queue and the thread (<c>peer-out-{id}</c>) that drains it over
/// one authenticated connection. The thread connects, authenticates, then sleeps on an event until
/// <see cref="Wake"/>; it writes everything queued by then with one blocking send, the socket's send
/// timeout serving as the write deadline. When an attempt fails or the connection breaks it reports
/// the peer unreachable, drops what is queued (stale by the time the peer is back) and pauses with
/// exponential backoff before trying again.
/// </summary>
/// <remarks>
/// Blocking I/O on a thread of its own keeps the socket out of the runtime's event loop and the
/// thread pool. <see cref="Flush"/> goes further: it writes the batch on the caller's thread when the
/// socket takes it at once, so the replica loop's messages usually leave with no thread hand-off at
/// all; the thread sends only what would block. Nothing arrives on an outbound connection after the
/// handshake, so a second thread (<c>peer-watch-{id}</c>) sleeps in a read that returns only when the
/// peer closes the connection, which it reports at once.
/// </remarks>
internal sealed class PeerSender : IAsyncDisposable
{
    /// <summary>The batch buffer shrinks back to this after carrying something larger (a snapshot chunk).</summary>
    private const int RetainedBufferBytes = 1 << 20;

    private readonly PeerTransportOptions _options;
    private readonly PeerCredentials _credentials;
    private readonly MessageCodec _codec;
    private readonly TimeProvider _time;
    private readonly Func<int, TimeSpan> _backoff;
    private readonly Action<NodeId> _reportUnreachable;
    private readonly ILogger _logger;
    private readonly PeerSendQueue _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly WakeSignal _wake = new();
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private readonly Lock _writeLock = new(); // guards the socket's sending side and the fields below
    private readonly List<Message> _batch = [];
    private ArrayBufferWriter<byte> _frames = new(64 << 10);
    private Socket? _connection; // while connected: where a flush may send without waking the thread
    private int _unsentFrom; // frames before this offset of _frames are sent
    private int _unsentMessages;
    private long _unsentBytes;
    private EndPoint _endPoint;
    private CancellationTokenSource? _round;
    private volatile PeerConnectionState _state = PeerConnectionState.Connecting;
    private volatile int _failures;
    private long _sentMessages;
    private long _sentBytes;
    private long _connections;
    private int _disposed;

    public PeerSender(
        NodeId id, EndPoint endPoint, PeerTransportOptions options, PeerCredentials credentials, MessageCodec codec, TimeProvider time,
        Func<int, TimeSpan> backoff, Action<NodeId> reportUnreachable, ILogger logger)
    {
        Id = id;
        _endPoint = endPoint;
        _options = options;
        _credentials = credentials;
        _codec = codec;
        _time = time;
        _backoff = backoff;
        _reportUnreachable = reportUnreachable;
        _logger = logger;
        _queue = new PeerSendQueue(options.MaxQueuedMessagesPerPeer, options.MaxQueuedBytesPerPeer, options.QueueFullMode);
        _thread = new Thread(Run) { IsBackground = true, Name = $"peer-out-{id}" };
    }

    public NodeId Id { get; }

    public long Dropped => _queue.Dropped;

    public PeerConnectionState State => _state;

    public void Start() => _thread.Start();

    /// <summary>Queues a message without sending it: it goes at the next <see cref="Wake"/> or <see cref="Flush"/>.</summary>
    public bool Enqueue(Message message, int frameBytes) => _queue.Enqueue(message, frameBytes);

    /// <summary>Has the thread send what is queued. Costs nothing when the queue is empty.</summary>
    public void Wake()
    {
        if (_queue.Count > 0)
        {
            _wake.Set();
        }
    }

    /// <summary>
    /// Sends what is queued, on the calling thread if the socket takes all of it at once (Linux), and
    /// otherwise by waking the sender's thread, which also finishes a batch the socket took only part of.
    /// Never blocks: a thread already writing to the socket is left to it.
    /// </summary>
    public void Flush()
    {
        if (_queue.Count == 0)
        {
            return;
        }
        if (NonBlockingSend.IsSupported && _writeLock.TryEnter())
        {
            try
            {
                if (_connection is { } socket && _frames.WrittenCount == 0)
                {
                    long batchBytes = TakeBatch();
                    int sent = NonBlockingSend.TrySend(socket.SafeHandle, _frames.WrittenSpan);
                    if (sent == _frames.WrittenCount)
                    {
                        Sent(_batch.Count, batchBytes);
                        ResetFrames();
                        if (_queue.Count == 0)
                        {
                            return;
                        }
                    }
                    else
                    {
                        (_unsentFrom, _unsentMessages, _unsentBytes) = (sent, _batch.Count, batchBytes);
                        _batch.Clear();
                    }
                }
            }
            finally
            {
                _writeLock.Exit();
            }
        }
        _wake.Set();
    }

    /// <summary>Points the sender at a new address: the current connection or pause ends, and it reconnects there.</summary>
    public void SetEndPoint(EndPoint endPoint)
    {
        CancellationTokenSource? round;
        lock (_lock)
        {
            if (_endPoint.Equals(endPoint))
            {
                return;
            }
            _endPoint = endPoint;
            round = _round;
        }
        round?.Cancel();
    }

    public PeerStatus GetStatus()
    {
        EndPoint endPoint;
        lock (_lock)
        {
            endPoint = _endPoint;
        }
        return new PeerStatus(
            Id, endPoint, _state, _queue.Count, _queue.Bytes, Interlocked.Read(ref _sentMessages), Interlocked.Read(ref _sentBytes),
            _queue.Dropped, Interlocked.Read(ref _connections), _failures);
    }

    /// <summary>Closes the connection and waits for the threads to end. Messages still queued are dropped.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        // Cancelling closes the socket, which ends any blocking call, and sets the event.
        await _stopping.CancelAsync().ConfigureAwait(false);
        _wake.Set();
        if (_thread.ThreadState != ThreadState.Unstarted)
        {
            await _stopped.Task.ConfigureAwait(false);
        }
        _queue.SetOpen(false);
        _stopping.Dispose();
        // A late Wake is harmless: with no thread waiting, setting the signal does not touch its event.
        _wake.Dispose();
    }

    private void Run()
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                EndPoint endPoint;
                CancellationTokenSource round;
                lock (_lock)
                {
                    endPoint = _endPoint;
                    round = _round = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                }
                try
                {
                    RunRound(endPoint, round.Token);
                }
                catch (Exception) when (round.IsCancellationRequested)
                {
                    // Stopping, or the address changed: either way this round is over.
                }
                catch (Exception e)
                {
                    // A bug, not a network failure (those are handled within the round): keep the sender alive.
                    _logger.WriterFailed(e, Id);
                }
                finally
                {
                    lock (_lock)
                    {
                        _round = null;
                    }
                    round.Dispose();
                }
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    /// <summary>One connection attempt, its life if it succeeds, and the pause after it fails.</summary>
    private void RunRound(EndPoint endPoint, CancellationToken cancellationToken)
    {
        _queue.SetOpen(true);
        _state = PeerConnectionState.Connecting;
        bool connected = false;
        string reason;
        Socket? socket = null;
        SslStream? tls = null;
        try
        {
            socket = CreateSocket(endPoint);
            // Ends whatever blocks this thread: a connect, a handshake read, a send or the wait for messages.
            using var abort = cancellationToken.Register(static state =>
            {
                var (socket, wake) = ((Socket, WakeSignal))state!;
                socket.Dispose();
                wake.Set();
            }, (socket, _wake));
            tls = Connect(socket, endPoint, cancellationToken);
            connected = true;
            _failures = 0;
            Interlocked.Increment(ref _connections);
            _state = PeerConnectionState.Connected;
            _logger.Connected(Id, endPoint);
            reason = Pump(socket, tls, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            reason = e.Message;
            if (e is not (SocketException or IOException or PeerHandshakeException or TimeoutException or ObjectDisposedException))
            {
                _logger.WriterFailed(e, Id);
            }
        }
        finally
        {
            socket?.Dispose();
            tls?.Dispose();
        }

        int failures = ++_failures;
        _queue.SetOpen(false);
        _state = PeerConnectionState.Backoff;
        if (connected)
        {
            _logger.ConnectionLost(Id, endPoint, reason);
        }
        else
        {
            _logger.ConnectFailed(Id, endPoint, failures, reason);
        }
        _reportUnreachable(Id);
        var delay = _backoff(failures);
        _logger.ReconnectScheduled(Id, delay);
        Task.Delay(delay, _time, cancellationToken).GetAwaiter().GetResult();
    }

    /// <summary>
    /// A blocking TCP socket for <paramref name="endPoint"/> (an IP, or a host name and port). Its send
    /// timeout is the write deadline; where the system allows it (Linux), data the peer leaves
    /// unacknowledged that long also aborts the connection, so a peer that vanished without a reset is
    /// noticed in that time rather than after the system's retransmission limit (about 15 minutes).
    /// </summary>
    private Socket CreateSocket(EndPoint endPoint)
    {
        var socket = endPoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            socket.SendTimeout = (int)_options.WriteTimeout.TotalMilliseconds;
            if (OperatingSystem.IsLinux())
            {
                const int TcpUserTimeout = 18;
                socket.SetRawSocketOption((int)SocketOptionLevel.Tcp, TcpUserTimeout, BitConverter.GetBytes((uint)_options.WriteTimeout.TotalMilliseconds));
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Connects and authenticates within <see cref="PeerTransportOptions.ConnectTimeout"/> and
    /// <see cref="PeerTransportOptions.HandshakeTimeout"/>. With TLS configured, the TLS handshake comes
    /// first and the secret handshake runs inside it; the session is returned, null on plain TCP.
    /// </summary>
    private SslStream? Connect(Socket socket, EndPoint endPoint, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _time);
        using var abort = timeout.Token.Register(socket.Dispose);
        bool handshaking = false;
        try
        {
            socket.Connect(endPoint);
            handshaking = true;
            timeout.CancelAfter(_options.HandshakeTimeout);
            var tls = _options.Tls is { } trust ? PeerTls.Connect(socket, trust, endPoint) : null;
            try
            {
                var pipe = tls is null ? new SocketDuplexPipe(socket) : new SocketDuplexPipe(tls);
                // Runs synchronously on this thread: the pipe's reads and writes block.
                PeerHandshake.ConnectAsync(pipe, _credentials, Id, cancellationToken).GetAwaiter().GetResult();
                if (pipe.Detach().Length > 0)
                {
                    throw new PeerHandshakeException(HandshakeFailure.Malformed, $"node {Id} sent data after its welcome");
                }
                return tls;
            }
            catch
            {
                tls?.Dispose();
                throw;
            }
        }
        catch (Exception) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(handshaking ? "the handshake timed out" : "the connection timed out");
        }
    }

    /// <summary>
    /// Sends batches until the connection fails; returns why it did. Throws only when cancelled. Over
    /// TLS every batch goes through <paramref name="tls"/> on this thread: a record cannot be half-sent
    /// without blocking, so flushes from other threads only wake it.
    /// </summary>
    private string Pump(Socket socket, SslStream? tls, CancellationToken cancellationToken)
    {
        using var watch = new CloseWatch(socket, tls, Id, _wake);
        try
        {
            lock (_writeLock)
            {
                _connection = tls is null ? socket : null;
            }
            while (true)
            {
                // Reset before looking at the queue: a message queued after the look sets it again.
                _wake.Reset();
                cancellationToken.ThrowIfCancellationRequested();
                if (watch.Closed)
                {
                    return "the peer closed the connection";
                }
                bool sent = false;
                // Held through the blocking send: a flush meanwhile leaves the socket to this thread.
                lock (_writeLock)
                {
                    if (_frames.WrittenCount > 0)
                    {
                        // What a flush on another thread could not send at once.
                        SendUnsent(socket, tls);
                        sent = true;
                    }
                    long batchBytes = TakeBatch();
                    if (_batch.Count > 0)
                    {
                        (_unsentMessages, _unsentBytes) = (_batch.Count, batchBytes);
                        _batch.Clear();
                        SendUnsent(socket, tls);
                        sent = true;
                    }
                }
                if (!sent)
                {
                    _wake.Wait();
                }
            }
        }
        catch (Exception e) when (TimedOut(e) && !cancellationToken.IsCancellationRequested)
        {
            return $"a write took longer than {_options.WriteTimeout}";
        }
        catch (Exception e) when (e is (SocketException or IOException or ObjectDisposedException) && watch.Closed && !cancellationToken.IsCancellationRequested)
        {
            return "the peer closed the connection";
        }
        finally
        {
            lock (_writeLock)
            {
                // Whatever was not sent is lost with the connection.
                _connection = null;
                _batch.Clear();
                ResetFrames();
            }
        }
    }

    /// <summary>Moves a batch from the queue into the frame buffer; returns its frame bytes. Under the write lock.</summary>
    private long TakeBatch()
    {
        long batchBytes = _queue.DequeueInto(_batch, _options.MaxBatchBytes);
        foreach (var message in _batch)
        {
            _codec.WriteFrame(message, _frames);
        }
        return batchBytes;
    }

    /// <summary>A send that hit the socket's send timeout, directly or through TLS.</summary>
    private static bool TimedOut(Exception e) =>
        (e as SocketException ?? e.InnerException as SocketException) is { SocketErrorCode: SocketError.TimedOut };

    /// <summary>Sends the rest of the frame buffer with blocking sends, then empties it. Under the write lock.</summary>
    private void SendUnsent(Socket socket, SslStream? tls)
    {
        var frames = _frames.WrittenSpan[_unsentFrom..];
        if (tls is not null)
        {
            tls.Write(frames);
            frames = [];
        }
        while (!frames.IsEmpty)
        {
            frames = frames[socket.Send(frames)..];
        }
        Sent(_unsentMessages, _unsentBytes);
        ResetFrames();
    }

    private void Sent(int messages, long bytes)
    {
        Interlocked.Add(ref _sentMessages, messages);
        Interlocked.Add(ref _sentBytes, bytes);
        _batch.Clear();
    }

    private void ResetFrames()
    {
        (_unsentFrom, _unsentMessages, _unsentBytes) = (0, 0, 0);
        if (_frames.Capacity > RetainedBufferBytes)
        {
            _frames = new ArrayBufferWriter<byte>(64 << 10);
        }
        else
        {
            _frames.ResetWrittenCount();
        }
    }
}
