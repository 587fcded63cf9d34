using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using Colony.Coordination;
using Colony.Coordination.Protocol;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Colony.Node.ZooKeeper;

/// <summary>
/// One client's TCP connection: the I/O shell around the coordination server. It decodes frames
/// in order and hands each read's worth to the server on this thread; the server queues replies
/// and notifications here, in the order things happen, and whichever thread then calls
/// <see cref="Pump"/> writes them out. Only one thread writes at a time, so replies leave in queue
/// order without a writer task to wake. The connection knows nothing of sessions or the tree.
/// </summary>
internal sealed partial class ClientConnection
{
    private static long s_nextId;

    /// <summary>Replies written but not flushed before the pump flushes (and waits for the client).</summary>
    private const int FlushThresholdBytes = 64 * 1024;

    private readonly ConnectionContext _context;
    private readonly CoordinationServer _server;
    private readonly CoordinationOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _readGate = new(0);
    private readonly List<(RequestHeader, ClientRequest)> _batch = [];
    private readonly TaskCompletionSource _outputDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _outLock = new();
    private List<Outbound> _queue = [];   // guarded by _outLock: what the server queued
    private List<Outbound> _writing = []; // the pump's: being written now
    private bool _pumping;                // guarded by _outLock: a thread owns the output
    private bool _ending;                 // guarded by _outLock: close once the queue is written
    private int _outstanding;
    private int _closed;
    private int _aborted;

    public ClientConnection(ConnectionContext context, CoordinationServer server, CoordinationOptions options, ILogger logger)
    {
        _context = context;
        _server = server;
        _options = options;
        _logger = logger;
        Id = Interlocked.Increment(ref s_nextId);
        RemoteAddress = (context.RemoteEndPoint as IPEndPoint)?.Address;
        // On the TLS port, a client certificate (already checked against the CA) names the client.
        var certificate = context.Features.Get<Microsoft.AspNetCore.Connections.Features.ITlsHandshakeFeature>() is not null
            ? context.Features.Get<Microsoft.AspNetCore.Http.Features.ITlsConnectionFeature>()?.ClientCertificate
            : null;
        CertificateSubject = certificate is null ? null : Security.CertificateSource.SubjectName(certificate);
        Stats = new ConnectionStats(server.WallClockMs);
    }

    /// <summary>Its requests' statistics, for cons (under the server's gate).</summary>
    public ConnectionStats Stats { get; }

    /// <summary>The TLS client certificate's subject, for the x509 ACL scheme; null without one.</summary>
    public string? CertificateSubject { get; }

    /// <summary>Unique per process: the watcher id of this connection's watches.</summary>
    public long Id { get; }

    public IPAddress? RemoteAddress { get; }

    public string Remote => _context.RemoteEndPoint?.ToString() ?? "?";

    // Server state: read and written only under the server's gate.
    public SessionState? Session { get; set; }

    public long Received;

    /// <summary>When its last packet came, in the server's elapsed milliseconds.</summary>
    public long LastHeardMs;

    public long Sent;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Runs the connection until the client goes away or the server closes it.</summary>
    public async Task RunAsync()
    {
        try
        {
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (ProtocolException e)
        {
            LogMalformed(Remote, e.Message);
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or OperationCanceledException or ObjectDisposedException or TimeoutException)
        {
            // The client went away.
        }
        finally
        {
            // Let queued replies (a four-letter word's answer, a close reply) reach the client,
            // but not forever: a client that stopped reading is cut off.
            CloseAfterFlush();
            try
            {
                await _outputDone.Task.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Close();
            }
            _server.OnDisconnected(this);
        }
    }

    /// <summary>
    /// Queues a reply (under the server's gate); <see cref="Pump"/> writes it. A client that stopped
    /// reading is disconnected once its queue is full.
    /// </summary>
    public void Send(ReplyHeader header, IJuteWritable? body, bool completesRequest = true) =>
        Enqueue(new Outbound(header, body, completesRequest, null));

    /// <summary>Queues the handshake reply.</summary>
    public void SendConnectResponse(ConnectResponse response) => Enqueue(new Outbound(default, response, false, null));

    /// <summary>Queues a raw text reply (four-letter words), then closes.</summary>
    public void SendTextAndClose(string text)
    {
        Enqueue(new Outbound(default, null, false, text));
        CloseAfterFlush();
    }

    /// <summary>Writes what is queued, then closes the connection; later sends are dropped.</summary>
    public void CloseAfterFlush()
    {
        Interlocked.Exchange(ref _closed, 1);
        lock (_outLock)
        {
            _ending = true;
        }
        Pump();
    }

    /// <summary>Closes at once (any thread); queued replies are dropped.</summary>
    public void Close()
    {
        Interlocked.Exchange(ref _closed, 1);
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            _readGate.Release();
            _context.Abort();
            _outputDone.TrySetResult();
        }
    }

    private void Enqueue(in Outbound item)
    {
        if (IsClosed)
        {
            return;
        }
        bool overflow, wake;
        lock (_outLock)
        {
            overflow = _queue.Count >= _options.MaxQueuedRepliesPerConnection;
            if (!overflow)
            {
                _queue.Add(item);
            }
            wake = !overflow && _queue.Count == 1 && !_pumping;
        }
        if (overflow)
        {
            LogSlowReader(Remote, _options.MaxQueuedRepliesPerConnection);
            Close();
        }
        else if (wake)
        {
            _server.MarkForPump(this);
        }
    }

    /// <summary>
    /// Writes everything queued and flushes, on the calling thread; a no-op if another thread is
    /// writing (it takes what was queued meanwhile). A flush that must wait for a slow client
    /// continues asynchronously and keeps ownership until the queue is empty.
    /// </summary>
    public void Pump()
    {
        lock (_outLock)
        {
            if (_pumping || (_queue.Count == 0 && !_ending))
            {
                return;
            }
            _pumping = true;
        }
        _ = PumpAsync();
    }

    private async Task PumpAsync()
    {
        var output = _context.Transport.Output;
        try
        {
            while (true)
            {
                bool ending;
                lock (_outLock)
                {
                    if (_queue.Count == 0 && !_ending)
                    {
                        _pumping = false; // the normal way out: the next Enqueue finds an idle output
                        return;
                    }
                    (_queue, _writing) = (_writing, _queue);
                    ending = _ending && _queue.Count == 0;
                }
                long unflushed = 0;
                foreach (var item in _writing)
                {
                    if (unflushed >= FlushThresholdBytes)
                    {
                        // Flush as we go: the pipe's back-pressure then holds the pump while the
                        // client is not reading, its requests stay outstanding, and the reader stops.
                        unflushed = 0;
                        var partial = await output.FlushAsync().ConfigureAwait(false);
                        if (partial.IsCompleted || partial.IsCanceled)
                        {
                            break;
                        }
                    }
                    unflushed += Write(output, item);
                }
                _writing.Clear();
                var flush = await output.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break; // the client is gone
                }
                if (ending)
                {
                    // Completing the output closes our side once the bytes are sent; then stop reading.
                    await output.CompleteAsync().ConfigureAwait(false);
                    _context.Transport.Input.CancelPendingRead();
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The client went away mid-write.
        }
        // Here the output is finished: the pump keeps ownership, so nothing more is written.
        Interlocked.Exchange(ref _closed, 1);
        _outputDone.TrySetResult();
    }

    private long Write(PipeWriter output, in Outbound item)
    {
        if (item.Text is not null)
        {
            var text = System.Text.Encoding.ASCII.GetBytes(item.Text);
            output.Write(text);
            return text.Length;
        }
        if (item.Body is ConnectResponse connect)
        {
            Interlocked.Increment(ref Sent); // a packet, as ZooKeeper counts them
            return FrameWriter.Write(output, connect);
        }
        int bytes = item.Body is null ? FrameWriter.Write(output, item.Header) : FrameWriter.Write(output, item.Header, item.Body);
        Interlocked.Increment(ref Sent);
        _server.ResponseSizes.Record(bytes - sizeof(int)); // as ZooKeeper measures a reply: without its length prefix
        if (item.CompletesRequest)
        {
            RequestCompleted();
        }
        return bytes;
    }

    /// <summary>The server finished a request: the reader may take another.</summary>
    private void RequestCompleted()
    {
        if (Interlocked.Decrement(ref _outstanding) == _options.MaxOutstandingPerConnection)
        {
            _readGate.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var input = _context.Transport.Input;
        bool handshaken = false;
        // A socket that never completes the handshake must not hold a connection slot forever.
        using var handshakeDeadline = CancellationTokenSource.CreateLinkedTokenSource(_context.ConnectionClosed);
        handshakeDeadline.CancelAfter(_options.HandshakeTimeoutMs);
        while (!IsClosed)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(handshaken ? _context.ConnectionClosed : handshakeDeadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!handshaken && !_context.ConnectionClosed.IsCancellationRequested)
            {
                LogHandshakeTimeout(Remote, _options.HandshakeTimeoutMs);
                return;
            }
            if (result.IsCanceled)
            {
                return; // the writer finished a graceful close
            }
            var buffer = result.Buffer;
            try
            {
                if (!handshaken && buffer.Length >= 4 && FourLetterWord.TryParse(FirstBytes(buffer), out string word))
                {
                    // Not a client: an operator's command such as "ruok". Answer and close.
                    _server.OnFourLetterWord(this, word);
                    return;
                }
                while (FrameReader.TryReadFrame(ref buffer, _options.MaxFrameBytes, out var frame))
                {
                    if (!handshaken)
                    {
                        var connect = Decode<ConnectRequest>(frame);
                        handshaken = true;
                        _server.OnConnect(this, connect);
                        continue;
                    }
                    int outstanding = Interlocked.Increment(ref _outstanding);
                    _server.ObserveOutstanding(outstanding);
                    if (outstanding > _options.MaxOutstandingPerConnection)
                    {
                        // Back-pressure: stop reading until the server catches up with this client.
                        // Its bytes wait in the socket, not here, and TCP slows the client down.
                        _server.OnReadPaused();
                        await SubmitAsync().ConfigureAwait(false);
                        // A release may be left over from an earlier drain: look again after each wake.
                        while (Volatile.Read(ref _outstanding) > _options.MaxOutstandingPerConnection && !IsClosed)
                        {
                            await _readGate.WaitAsync(_context.ConnectionClosed).ConfigureAwait(false);
                        }
                    }
                    _batch.Add(DecodeRequest(frame));
                }
                // Everything that arrived in one read reaches the server at once, on this thread.
                await SubmitAsync().ConfigureAwait(false);
                if (result.IsCompleted)
                {
                    if (buffer.Length > 0)
                    {
                        LogTruncated(Remote, buffer.Length);
                    }
                    return;
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    private async ValueTask SubmitAsync()
    {
        if (_batch.Count == 0)
        {
            return;
        }
        if (_server.RequestRate is { } rate && await rate.TakeAsync(_batch.Count, _context.ConnectionClosed).ConfigureAwait(false))
        {
            // Over the node's request rate: the batch waited its turn, and meanwhile nothing more
            // was read from this client, so it slows down instead of failing.
            _server.OnThrottled(_batch.Count);
        }
        _server.OnRequests(this, _batch);
        _batch.Clear();
    }

    private (RequestHeader, ClientRequest) DecodeRequest(in ReadOnlySequence<byte> frame)
    {
        byte[]? rented = null;
        ReadOnlySpan<byte> span = frame.IsSingleSegment ? frame.FirstSpan : Flatten(frame, out rented);
        try
        {
            var reader = new JuteReader(span);
            var header = RequestHeader.Read(ref reader);
            ClientRequest request;
            try
            {
                request = RequestDecoder.DecodeBody(header.Type, ref reader);
            }
            catch (ProtocolException e) when (e.Error == ProtocolError.UnsupportedOperation && header.Type is not (OpCode.Multi or OpCode.MultiRead))
            {
                // An opcode this server does not know: ZooKeeper's answer, not a dropped connection.
                // (A bad op inside a multi is a malformed body instead, as below.)
                LogUnknownOpcode(Remote, (int)header.Type);
                return (header, new RejectedRequest(ErrorCode.Unimplemented));
            }
            catch (ProtocolException e) when (e.Error == ProtocolError.InvalidUtf8)
            {
                // ZooKeeper decodes such a path to U+FFFD and then refuses it as a bad path.
                return (header, new RejectedRequest(ErrorCode.BadArguments));
            }
            catch (ProtocolException e) when (header.Type is not (OpCode.Auth or OpCode.Sasl))
            {
                // The header decoded but the body did not: ZooKeeper answers MarshallingError and
                // keeps the connection (only a bad auth or SASL packet closes it).
                LogMalformedBody(Remote, (int)header.Type, e.Message);
                return (header, new RejectedRequest(ErrorCode.MarshallingError));
            }
            return (header, request);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static T Decode<T>(in ReadOnlySequence<byte> frame)
        where T : IJuteRecord<T>
    {
        byte[]? rented = null;
        try
        {
            return Jute.Decode<T>(frame.IsSingleSegment ? frame.FirstSpan : Flatten(frame, out rented));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static ReadOnlySpan<byte> Flatten(in ReadOnlySequence<byte> frame, out byte[] rented)
    {
        rented = ArrayPool<byte>.Shared.Rent((int)frame.Length);
        frame.CopyTo(rented);
        return rented.AsSpan(0, (int)frame.Length);
    }

    private static ReadOnlySpan<byte> FirstBytes(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.FirstSpan.Length >= 4)
        {
            return buffer.FirstSpan[..4];
        }
        var bytes = new byte[4];
        buffer.Slice(0, 4).CopyTo(bytes);
        return bytes;
    }

    private readonly record struct Outbound(ReplyHeader Header, IJuteWritable? Body, bool CompletesRequest, string? Text);

    [LoggerMessage(EventId = 3000, Level = LogLevel.Warning, Message = "client {Remote}: malformed input, closing: {Reason}")]
    private partial void LogMalformed(string remote, string reason);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "client {Remote}: closed mid-frame with {Bytes} bytes unread")]
    private partial void LogTruncated(string remote, long bytes);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "client {Remote}: no handshake within {TimeoutMs} ms; closing")]
    private partial void LogHandshakeTimeout(string remote, int timeoutMs);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "client {Remote}: {Queued} replies queued and not read; disconnecting")]
    private partial void LogSlowReader(string remote, int queued);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "client {Remote}: unsupported opcode {OpCode}")]
    private partial void LogUnknownOpcode(string remote, int opCode);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "client {Remote}: a request with opcode {OpCode} did not decode: {Reason}")]
    private partial void LogMalformedBody(string remote, int opCode, string reason);
}
