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
/// in order and hands them to the server's loop; the loop hands back replies and notifications,
/// which a writer task sends in the order they were queued. The connection knows nothing of
/// sessions or the tree.
/// </summary>
internal sealed partial class ClientConnection
{
    private static long s_nextId;

    /// <summary>Replies written but not flushed before the writer flushes (and waits for the client).</summary>
    private const int FlushThresholdBytes = 64 * 1024;

    private readonly ConnectionContext _context;
    private readonly CoordinationServer _server;
    private readonly CoordinationOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<Outbound> _outbound = Channel.CreateUnbounded<Outbound>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _readGate = new(0);
    private int _queued;
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
    }

    /// <summary>Unique per process: the watcher id of this connection's watches.</summary>
    public long Id { get; }

    public IPAddress? RemoteAddress { get; }

    public string Remote => _context.RemoteEndPoint?.ToString() ?? "?";

    // Loop-thread state: the server reads and writes these only from its loop.
    public SessionState? Session { get; set; }

    public long Received;

    public long Sent;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Runs the connection until the client goes away or the server closes it.</summary>
    public async Task RunAsync()
    {
        var writer = WriteLoopAsync();
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
            _outbound.Writer.TryComplete();
            try
            {
                await writer.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Close();
            }
            Interlocked.Exchange(ref _closed, 1);
            _server.OnDisconnected(this);
        }
    }

    /// <summary>Queues a reply (any thread). A client that stopped reading is disconnected once its queue is full.</summary>
    public void Send(ReplyHeader header, IJuteWritable? body, bool completesRequest = true)
    {
        if (IsClosed)
        {
            return;
        }
        if (Interlocked.Increment(ref _queued) > _options.MaxQueuedRepliesPerConnection)
        {
            LogSlowReader(Remote, _options.MaxQueuedRepliesPerConnection);
            Close();
            return;
        }
        _outbound.Writer.TryWrite(new Outbound(header, body, completesRequest, null));
    }

    /// <summary>Queues the handshake reply.</summary>
    public void SendConnectResponse(ConnectResponse response) =>
        _outbound.Writer.TryWrite(new Outbound(default, response, false, null));

    /// <summary>Queues a raw text reply (four-letter words), then closes.</summary>
    public void SendTextAndClose(string text)
    {
        _outbound.Writer.TryWrite(new Outbound(default, null, false, text));
        _outbound.Writer.TryComplete();
    }

    /// <summary>Flushes what is queued, then closes the connection; later sends are dropped.</summary>
    public void CloseAfterFlush()
    {
        _outbound.Writer.TryComplete();
        Interlocked.Exchange(ref _closed, 1);
    }

    /// <summary>Closes at once (any thread); queued replies are dropped.</summary>
    public void Close()
    {
        Interlocked.Exchange(ref _closed, 1);
        _outbound.Writer.TryComplete();
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            _readGate.Release();
            _context.Abort();
        }
    }

    /// <summary>The server finished a request: the reader may take another.</summary>
    private void RequestCompleted()
    {
        if (Interlocked.Decrement(ref _outstanding) == _options.MaxOutstandingPerConnection - 1)
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
            List<(RequestHeader, ClientRequest)>? batch = null;
            try
            {
                if (!handshaken && buffer.Length >= 4 && FourLetterWord.TryParse(FirstBytes(buffer), out string word))
                {
                    // Not a client: an operator's command such as "ruok". Answer and close.
                    await _server.OnFourLetterWordAsync(this, word).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
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
                    if (Interlocked.Increment(ref _outstanding) > _options.MaxOutstandingPerConnection)
                    {
                        // Back-pressure: stop reading until the server catches up with this client.
                        Submit(ref batch);
                        await _readGate.WaitAsync(_context.ConnectionClosed).ConfigureAwait(false);
                    }
                    (batch ??= []).Add(DecodeRequest(frame));
                }
                // Everything that arrived in one read reaches the server's loop as one work item.
                Submit(ref batch);
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

    private void Submit(ref List<(RequestHeader, ClientRequest)>? batch)
    {
        if (batch is { Count: > 0 })
        {
            _server.OnRequests(this, batch);
            batch = null;
        }
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

    private async Task WriteLoopAsync()
    {
        var output = _context.Transport.Output;
        var reader = _outbound.Reader;
        long unflushed = 0;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    if (unflushed >= FlushThresholdBytes)
                    {
                        // Flush as we go: the pipe's back-pressure then holds this loop while the
                        // client is not reading, its requests stay outstanding, and the reader stops.
                        unflushed = 0;
                        var partial = await output.FlushAsync().ConfigureAwait(false);
                        if (partial.IsCompleted || partial.IsCanceled)
                        {
                            return;
                        }
                    }
                    if (item.Text is not null)
                    {
                        var text = System.Text.Encoding.ASCII.GetBytes(item.Text);
                        output.Write(text);
                        unflushed += text.Length;
                        continue;
                    }
                    if (item.Body is ConnectResponse connect)
                    {
                        unflushed += FrameWriter.Write(output, connect);
                        continue;
                    }
                    Interlocked.Decrement(ref _queued);
                    if (item.Body is null)
                    {
                        unflushed += FrameWriter.Write(output, item.Header);
                    }
                    else
                    {
                        unflushed += FrameWriter.Write(output, item.Header, item.Body);
                    }
                    Interlocked.Increment(ref Sent);
                    if (item.CompletesRequest)
                    {
                        RequestCompleted();
                    }
                }
                unflushed = 0;
                var flush = await output.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The client went away mid-write.
        }
        finally
        {
            Interlocked.Exchange(ref _closed, 1);
            try
            {
                // Completing the output closes our side once the bytes are sent; then stop reading.
                await output.CompleteAsync().ConfigureAwait(false);
                _context.Transport.Input.CancelPendingRead();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
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
