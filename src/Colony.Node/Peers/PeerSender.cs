using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Colony.Consensus;
using Colony.Consensus.Wire;
using Colony.Core;
using Microsoft.Extensions.Logging;

namespace Colony.Node.Peers;

/// <summary>
/// The outbound side of one peer: its queue and the writer task that drains it over one authenticated
/// connection. The writer connects, authenticates, then sends batches of frames with one flush each.
/// When an attempt fails or the connection breaks it reports the peer unreachable, drops what is queued
/// (stale by the time the peer is back) and pauses with exponential backoff before trying again.
/// </summary>
internal sealed class PeerSender : IAsyncDisposable
{
    private readonly PeerTransportOptions _options;
    private readonly PeerCredentials _credentials;
    private readonly MessageCodec _codec;
    private readonly TimeProvider _time;
    private readonly Func<int, TimeSpan> _backoff;
    private readonly Action<NodeId> _reportUnreachable;
    private readonly ILogger _logger;
    private readonly PeerSendQueue _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private EndPoint _endPoint;
    private CancellationTokenSource? _round;
    private Task _writer = Task.CompletedTask;
    private volatile PeerConnectionState _state = PeerConnectionState.Connecting;
    private volatile int _failures;
    private long _sentMessages;
    private long _sentBytes;
    private long _connections;

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
    }

    public NodeId Id { get; }

    public long Dropped => _queue.Dropped;

    public void Start() => _writer = Task.Run(RunAsync);

    public bool Enqueue(Message message, int frameBytes) => _queue.Enqueue(message, frameBytes);

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

    public PeerConnectionState State => _state;

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

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }
        await _writer.ConfigureAwait(false);
        _queue.SetOpen(false);
        _stopping.Dispose();
    }

    private async Task RunAsync()
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
                await RunRoundAsync(endPoint, round.Token).ConfigureAwait(false);
            }
            catch (Exception) when (round.IsCancellationRequested)
            {
                // Stopping, or the address changed: either way this round is over.
            }
            catch (Exception e)
            {
                // A bug, not a network failure (those are handled within the round): keep the writer alive.
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

    /// <summary>One connection attempt, its life if it succeeds, and the pause after it fails.</summary>
    private async Task RunRoundAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        _queue.SetOpen(true);
        _state = PeerConnectionState.Connecting;
        bool connected = false;
        string reason;
        try
        {
            await using var connection = await ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            connected = true;
            _failures = 0;
            Interlocked.Increment(ref _connections);
            _state = PeerConnectionState.Connected;
            _logger.Connected(Id, endPoint);
            reason = await PumpAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            reason = e.Message;
            if (e is not (SocketException or IOException or PeerHandshakeException or TimeoutException))
            {
                _logger.WriterFailed(e, Id);
            }
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
        await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
    }

    private async Task<SocketDuplexPipe> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        SocketDuplexPipe? connection = null;
        using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            connection = await SocketDuplexPipe.ConnectAsync(endPoint, _options.WriteTimeout, linked.Token).ConfigureAwait(false);
            timeout.CancelAfter(_options.HandshakeTimeout);
            await PeerHandshake.ConnectAsync(connection, _credentials, Id, linked.Token).ConfigureAwait(false);
            return connection;
        }
        catch (Exception e)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            if (e is OperationCanceledException && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(connection is null ? "the connection timed out" : "the handshake timed out");
            }
            throw;
        }
    }

    /// <summary>Sends batches until the connection fails; returns why it did. Throws only when cancelled.</summary>
    private async Task<string> PumpAsync(SocketDuplexPipe connection, CancellationToken cancellationToken)
    {
        using var writeDeadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var live = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, writeDeadline.Token);
        var watch = WatchForCloseAsync(connection.Input, live);
        var batch = new List<Message>();
        try
        {
            while (true)
            {
                await _queue.WaitAsync(live.Token).ConfigureAwait(false);
                long batchBytes = _queue.DequeueInto(batch, _options.MaxBatchBytes);
                foreach (var message in batch)
                {
                    _codec.WriteFrame(message, connection.Output);
                }
                writeDeadline.CancelAfter(_options.WriteTimeout);
                var result = await connection.Output.FlushAsync(live.Token).ConfigureAwait(false);
                writeDeadline.CancelAfter(Timeout.InfiniteTimeSpan);
                if (result.IsCompleted)
                {
                    return "the connection closed";
                }
                Interlocked.Add(ref _sentMessages, batch.Count);
                Interlocked.Add(ref _sentBytes, batchBytes);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return writeDeadline.IsCancellationRequested
                ? $"a write took longer than {_options.WriteTimeout}"
                : "the peer closed the connection";
        }
        finally
        {
            await live.CancelAsync().ConfigureAwait(false);
            await watch.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Nothing arrives on an outbound connection after the handshake: a read that completes means the
    /// peer closed it (or broke the protocol). Either way the connection is done, which this signals
    /// by cancelling <paramref name="live"/>, faster than waiting for a write to fail.
    /// </summary>
    private static async Task WatchForCloseAsync(PipeReader input, CancellationTokenSource live)
    {
        try
        {
            await input.ReadAsync(live.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        if (!live.IsCancellationRequested)
        {
            await live.CancelAsync().ConfigureAwait(false);
        }
    }
}
